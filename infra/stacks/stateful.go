package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// OfficeAttribute is the user pool's custom attribute holding a user's country office; it
// reaches the ID token as "custom:office".
const OfficeAttribute = "office"

// StatefulStackProps configure the stateful stack.
type StatefulStackProps struct {
	awscdk.StackProps
	Stage Stage
	// Tables are the table declarations; nil means tables.All().
	Tables []tables.Table
}

// StatefulStack holds what must outlive a redeployment of the code: data, its key, and the
// users. The stateless stack reads these fields.
type StatefulStack struct {
	awscdk.Stack
	Stage Stage
	// Key encrypts every table (and the notification topics).
	Key awskms.Key
	// Tables are the DynamoDB tables by logical name; Declarations their declarations in order.
	Tables       map[string]awsdynamodb.Table
	Declarations []tables.Table
	UserPool     awscognito.UserPool
	// UserPoolClient is the app client of the CLI and the console (no secret).
	UserPoolClient awscognito.UserPoolClient
	// BreakGlassRole is the only principal that may update or delete audit items.
	BreakGlassRole awsiam.Role
}

// NewStatefulStack builds the tables, the key, the user pool and the break-glass role.
func NewStatefulStack(scope constructs.Construct, id string, props *StatefulStackProps) (*StatefulStack, error) {
	if props == nil {
		return nil, fmt.Errorf("stateful stack %q: props are required", id)
	}
	if _, err := ParseStage(string(props.Stage)); err != nil {
		return nil, err
	}
	declared := props.Tables
	if declared == nil {
		declared = tables.All()
	}
	if err := checkDeclarations(declared); err != nil {
		return nil, err
	}
	stackProps := props.StackProps
	if stackProps.Description == nil {
		stackProps.Description = jsii.String("Fast-Track " + string(props.Stage) + ": tables, key, users")
	}
	stack := awscdk.NewStack(scope, &id, &stackProps)
	set := props.Stage.settings()
	out := &StatefulStack{Stack: stack, Stage: props.Stage, Tables: map[string]awsdynamodb.Table{}, Declarations: declared}

	out.Key = awskms.NewKey(stack, jsii.String("DataKey"), &awskms.KeyProps{
		Description:       jsii.String("Fast-Track " + string(props.Stage) + " data: tables and notification topics"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     set.removal,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})
	// EventBridge publishes to the encrypted notification topics and CloudWatch alarms to the
	// encrypted alarm topic: both services need to use the key for SNS. In a key policy,
	// Resource "*" means this key (AWS requires that form).
	out.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowNotificationServicesToUseTheKeyForSNS"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
	}), jsii.Bool(false))

	// Only AWS services acting for a principal (DynamoDB for a table) may get grants on the
	// key; nobody can hand out its use directly.
	out.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("GrantsOnlyForAWSServices"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"BoolIfExists": map[string]any{
			"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false",
		}},
	}), jsii.Bool(false))

	out.BreakGlassRole = awsiam.NewRole(stack, jsii.String("AuditBreakGlassRole"), &awsiam.RoleProps{
		RoleName: jsii.String(props.Stage.prefix() + "-AuditBreakGlass"),
		Description: jsii.String("The only principal allowed to update or delete audit items. Assumable by account " +
			"administrators with MFA, for a legal correction; every use is in CloudTrail."),
		AssumedBy: awsiam.NewAccountRootPrincipal().WithConditions(&map[string]any{
			"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})

	for _, declaration := range declared {
		out.Tables[declaration.Name] = newTable(stack, declaration, set, out.Key, out.BreakGlassRole)
		if declaration.AppendOnly {
			grantBreakGlass(out.BreakGlassRole, out.Tables[declaration.Name], declaration, out.Key)
		}
	}

	out.UserPool, out.UserPoolClient = newUserPool(stack, props.Stage, set)
	return out, nil
}

// checkDeclarations refuses table declarations the deployment cannot build.
func checkDeclarations(declared []tables.Table) error {
	seen := map[string]bool{}
	for _, table := range declared {
		switch {
		case table.Name == "":
			return fmt.Errorf("a table declaration has no name")
		case seen[table.Name]:
			return fmt.Errorf("table %q is declared twice", table.Name)
		case table.PartitionKey.Name == "":
			return fmt.Errorf("table %q has no partition key", table.Name)
		}
		seen[table.Name] = true
		for _, index := range table.Indexes {
			if index.Name == "" || index.PartitionKey.Name == "" {
				return fmt.Errorf("table %q has an index without a name or partition key", table.Name)
			}
		}
	}
	return nil
}

func attribute(key tables.Key) *awsdynamodb.Attribute {
	kind := awsdynamodb.AttributeType_STRING
	if key.Type == tables.Number {
		kind = awsdynamodb.AttributeType_NUMBER
	}
	return &awsdynamodb.Attribute{Name: jsii.String(key.Name), Type: kind}
}

// newTable builds one table from its declaration: on demand, point-in-time recovery, the
// customer-managed key, TTL where declared, deletion protection in prod, and for append-only
// tables a resource policy that denies changes to everyone but the break-glass role.
func newTable(stack awscdk.Stack, declaration tables.Table, set settings, key awskms.Key, breakGlass awsiam.Role) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey:  attribute(declaration.PartitionKey),
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: key,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(set.deletionProtection),
		RemovalPolicy:      set.removal,
	}
	if declaration.SortKey != nil {
		props.SortKey = attribute(*declaration.SortKey)
	}
	if declaration.TTLAttribute != "" {
		props.TimeToLiveAttribute = jsii.String(declaration.TTLAttribute)
	}
	if declaration.AppendOnly {
		// Resource "*" in a table's resource policy means this table; naming the table's own
		// ARN would be a circular reference. The deny reaches every principal of every
		// account, administrators included, except the break-glass role.
		props.ResourcePolicy = awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AppendOnlyExceptBreakGlass"),
				Effect:     awsiam.Effect_DENY,
				Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
				Actions:    jsii.Strings(changeActions...),
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": breakGlass.RoleArn()}},
			})},
		})
	}
	table := awsdynamodb.NewTable(stack, jsii.String(logicalID(declaration.Name)+"Table"), props)
	for _, index := range declaration.Indexes {
		indexProps := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(index.Name),
			PartitionKey:   attribute(index.PartitionKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		}
		if index.SortKey != nil {
			indexProps.SortKey = attribute(*index.SortKey)
		}
		if len(index.NonKeyAttributes) > 0 {
			indexProps.ProjectionType = awsdynamodb.ProjectionType_INCLUDE
			indexProps.NonKeyAttributes = jsii.Strings(index.NonKeyAttributes...)
		}
		table.AddGlobalSecondaryIndex(indexProps)
	}
	return table
}

// grantBreakGlass lets the break-glass role read and change an append-only table.
func grantBreakGlass(role awsiam.Role, table awsdynamodb.Table, declaration tables.Table, key awskms.Key) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("Correct" + logicalID(declaration.Name)),
		Actions:   jsii.Strings(sortedUnique(append(append([]string{}, readActions...), changeActions...))...),
		Resources: &[]*string{table.TableArn()},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("Use" + logicalID(declaration.Name) + "Key"),
		Actions:   jsii.Strings(keyWriteActions...),
		Resources: &[]*string{key.KeyArn()},
	}))
}

// newUserPool builds the user pool: administrators create users (no self sign-up), every user
// signs in with a strong password and a TOTP second factor, and belongs to groups named after
// the roles of shared/auth.
func newUserPool(stack awscdk.Stack, stage Stage, set settings) (awscognito.UserPool, awscognito.UserPoolClient) {
	pool := awscognito.NewUserPool(stack, jsii.String("UserPool"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String(stage.prefix() + "-users"),
		SelfSignUpEnabled: jsii.Bool(false),
		SignInAliases:     &awscognito.SignInAliases{Username: jsii.Bool(true), Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			// Users cannot change their own office: only an administrator can (the app client
			// gets no write access to it below).
			OfficeAttribute: awscognito.NewStringAttribute(&awscognito.StringAttributeProps{
				MinLen: jsii.Number(0), MaxLen: jsii.Number(32), Mutable: jsii.Bool(true),
			}),
		},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(14),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		// MFA is a pool-wide setting in Cognito. Approvers and administrators must use it, and
		// any user may hold an approver role tomorrow, so it is required for everyone.
		Mfa:                awscognito.Mfa_REQUIRED,
		MfaSecondFactor:    &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery:    awscognito.AccountRecovery_EMAIL_ONLY,
		FeaturePlan:        awscognito.FeaturePlan_ESSENTIALS,
		DeletionProtection: jsii.Bool(set.deletionProtection),
		RemovalPolicy:      set.removal,
	})
	suppress(pool, suppression{rule: "AwsSolutions-COG8",
		reason: "The Plus feature plan (threat protection) is charged per monthly active user. Users here are staff created by administrators (no self sign-up), each with a 14-character password and a required TOTP second factor; turn Plus on with FeaturePlan_PLUS if the threat model grows."})
	for index, role := range auth.Roles() {
		pool.AddGroup(jsii.String("Group"+logicalID(string(role))), &awscognito.UserPoolGroupOptions{
			GroupName:   jsii.String(string(role)),
			Description: jsii.String("Fast-Track role " + string(role)),
			Precedence:  jsii.Number(float64(index)),
		})
	}
	client := pool.AddClient(jsii.String("CliClient"), &awscognito.UserPoolClientOptions{
		UserPoolClientName: jsii.String(stage.prefix() + "-cli"),
		GenerateSecret:     jsii.Bool(false),
		AuthFlows:          &awscognito.AuthFlow{UserSrp: jsii.Bool(true), UserPassword: jsii.Bool(true)},
		// The API reads the role and office from the ID token.
		ReadAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true), EmailVerified: jsii.Bool(true)}).
			WithCustomAttributes(jsii.String(OfficeAttribute)),
		WriteAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true)}),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(1)),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
	})
	return pool, client
}

// logicalID turns a lower-case, hyphenated name into a CloudFormation-friendly id part:
// "senior-management" -> "SeniorManagement".
func logicalID(name string) string {
	placeholder := TableNamePlaceholder(tables.Table{Name: name})
	return placeholder[:len(placeholder)-len("TableName")]
}
