package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/infra/outputs"
)

// ClientConfig is what the client commands need to reach a deployed Fast-Track: the API and the
// Cognito user pool to sign in with. `fasttrack config from-stack` writes it as JSON.
type ClientConfig struct {
	Stage            string `json:"stage"`
	Stack            string `json:"stack"`
	APIURL           string `json:"apiUrl"`
	Region           string `json:"region"`
	UserPoolID       string `json:"userPoolId"`
	UserPoolClientID string `json:"userPoolClientId"`
	StateMachineARN  string `json:"stateMachineArn,omitempty"`
}

// stackDescriber is the CloudFormation call the command makes; *cloudformation.Client has it.
type stackDescriber interface {
	DescribeStacks(ctx context.Context, input *cloudformation.DescribeStacksInput, options ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var _ stackDescriber = (*cloudformation.Client)(nil)

// defaultClientConfigPath is where the client commands look for the deployment's configuration:
// fasttrack/config.json under the user's configuration directory.
func defaultClientConfigPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user configuration directory (set --output): %w", err)
	}
	return filepath.Join(dir, "fasttrack", "config.json"), nil
}

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Configure the client commands",
	}
	cmd.AddCommand(newConfigFromStackCommand())
	return cmd
}

func newConfigFromStackCommand() *cobra.Command {
	var stage, stack, region, profile, output string
	var print bool
	cmd := &cobra.Command{
		Use:   "from-stack",
		Short: "Point the CLI at a deployed stage: read its API URL and user pool from CloudFormation",
		Long: "Reads the outputs of the stage's stateless stack (FastTrack-<stage>-Stateless) with the " +
			"current AWS credentials and writes them to the client configuration file.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if stack == "" {
				if stage == "" {
					return errors.New("--stage or --stack is required")
				}
				stack = outputs.StackName(stage)
			}
			var options []func(*awsconfig.LoadOptions) error
			if region != "" {
				options = append(options, awsconfig.WithRegion(region))
			}
			if profile != "" {
				options = append(options, awsconfig.WithSharedConfigProfile(profile))
			}
			cfg, err := awsconfig.LoadDefaultConfig(ctx, options...)
			if err != nil {
				return fmt.Errorf("loading the AWS configuration: %w", err)
			}
			config, err := readStackConfig(ctx, cloudformation.NewFromConfig(cfg), stack, stage)
			if err != nil {
				return err
			}
			data, err := json.MarshalIndent(config, "", "  ")
			if err != nil {
				return err
			}
			data = append(data, '\n')
			if print {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if output == "" {
				if output, err = defaultClientConfigPath(); err != nil {
					return err
				}
			}
			if err := writeFileAtomically(output, data); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: API %s, user pool %s (%s)\n", output, config.APIURL, config.UserPoolID, config.Region)
			return nil
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "dev", "deployment stage (dev or prod)")
	cmd.Flags().StringVar(&stack, "stack", "", "stack name (default FastTrack-<stage>-Stateless)")
	cmd.Flags().StringVar(&region, "region", "", "AWS region (default from the AWS configuration)")
	cmd.Flags().StringVar(&profile, "profile", "", "AWS shared configuration profile")
	cmd.Flags().StringVar(&output, "output", "", "file to write (default <user config dir>/fasttrack/config.json)")
	cmd.Flags().BoolVar(&print, "print", false, "print the configuration instead of writing it")
	return cmd
}

// readStackConfig reads the stack's outputs into a ClientConfig. A missing stack, a stack that
// is not deployed completely, or a missing or malformed output is an error that says which.
func readStackConfig(ctx context.Context, client stackDescriber, stack, stage string) (ClientConfig, error) {
	answer, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
			return ClientConfig{}, fmt.Errorf("stack %s does not exist in this account and region: deploy it with `make deploy STAGE=%s`, or pass --region", stack, stage)
		}
		if strings.Contains(err.Error(), "get credentials") {
			return ClientConfig{}, fmt.Errorf("no AWS credentials were found to read stack %s: choose them with --profile or AWS_PROFILE "+
				"(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); the local system needs none, only a deployed stage does: %w", stack, err)
		}
		return ClientConfig{}, fmt.Errorf("describing stack %s: %w", stack, err)
	}
	if len(answer.Stacks) != 1 {
		return ClientConfig{}, fmt.Errorf("describing stack %s: %d stacks answered", stack, len(answer.Stacks))
	}
	described := answer.Stacks[0]
	status := string(described.StackStatus)
	if !strings.HasSuffix(status, "_COMPLETE") || strings.Contains(status, "ROLLBACK") || strings.HasPrefix(status, "DELETE") {
		return ClientConfig{}, fmt.Errorf("stack %s is %s: wait for its deployment to complete", stack, status)
	}
	values := map[string]string{}
	for _, output := range described.Outputs {
		values[aws.ToString(output.OutputKey)] = aws.ToString(output.OutputValue)
	}
	var missing []string
	for _, key := range []string{outputs.APIURL, outputs.UserPoolID, outputs.UserPoolClientID, outputs.Region} {
		if values[key] == "" {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return ClientConfig{}, fmt.Errorf("stack %s lacks the outputs %s: is it a Fast-Track stateless stack?", stack, strings.Join(missing, ", "))
	}
	if parsed, err := url.Parse(values[outputs.APIURL]); err != nil || parsed.Scheme != "https" || parsed.Host == "" {
		return ClientConfig{}, fmt.Errorf("stack %s output %s is %q, not an https URL", stack, outputs.APIURL, values[outputs.APIURL])
	}
	return ClientConfig{
		Stage:            stage,
		Stack:            stack,
		APIURL:           values[outputs.APIURL],
		Region:           values[outputs.Region],
		UserPoolID:       values[outputs.UserPoolID],
		UserPoolClientID: values[outputs.UserPoolClientID],
		StateMachineARN:  values[outputs.StateMachineARN],
	}, nil
}

// writeFileAtomically writes data next to path and renames it into place, so that a reader
// never sees half a file.
func writeFileAtomically(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	temporary, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(temporary.Name())
	if _, err := temporary.Write(data); err != nil {
		temporary.Close()
		return err
	}
	if err := temporary.Close(); err != nil {
		return err
	}
	return os.Rename(temporary.Name(), path)
}
