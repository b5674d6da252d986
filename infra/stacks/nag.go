package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppression is one accepted cdk-nag finding, always with its reason.
type suppression struct {
	rule   string
	reason string
	// appliesTo narrows an IAM5 suppression to the listed wildcard findings.
	appliesTo []string
}

func suppress(scope constructs.IConstruct, suppressions ...suppression) {
	list := make([]*cdknag.NagPackSuppression, 0, len(suppressions))
	for _, s := range suppressions {
		entry := &cdknag.NagPackSuppression{Id: jsii.String(s.rule), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			applies := make([]any, 0, len(s.appliesTo))
			for _, finding := range s.appliesTo {
				applies = append(applies, finding)
			}
			entry.AppliesTo = &applies
		}
		list = append(list, entry)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(scope, &list, jsii.Bool(true))
}

// nagResource is how cdk-nag names a wildcard resource finding: "Resource::" and the ARN with
// its pseudo parameters written as <AWS::Region> and the like.
func nagResource(arn string) string { return "Resource::arn:" + arn }

// acknowledge records that a CloudFormation Guard rule (run by the policy validation plugin at
// `make synth`, see infra/guard) does not apply to scope and its children, and why.
func acknowledge(scope constructs.IConstruct, rule, reason string) {
	awscdk.Validations_Of(scope).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String("cdk-validator-cfnguard::" + rule),
		Reason: jsii.String(reason),
	})
}
