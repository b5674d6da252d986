package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/internal/sdkhttp"
	"github.com/fasttrack/fasttrack/workflows/engine"
	"github.com/fasttrack/fasttrack/workflows/engine/server"
	"github.com/fasttrack/fasttrack/workflows/engine/tasks"
)

// newSFNLocalCommand runs the embedded Step Functions engine alone behind its JSON API, like
// AWS's Step Functions Local: any sfn client pointed at --addr can create state machines and
// run executions. With --data the engine keeps everything in a journal there and resumes it
// after a restart.
func newSFNLocalCommand() *cobra.Command {
	var addr, dataDir, region, account, dynamoEndpoint, lambdaEndpoint string
	cmd := &cobra.Command{
		Use:   "sfn-local",
		Short: "Run the embedded Step Functions engine and its API (like Step Functions Local)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
			opts := engine.Options{Region: region, Account: account, DataDir: dataDir, Logger: logger}
			if dynamoEndpoint == "" {
				dynamoEndpoint = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
			}
			if dynamoEndpoint != "" {
				opts.DynamoDB = dynamodb.New(dynamodb.Options{
					HTTPClient:   sdkhttp.NewClient(),
					Region:       region,
					BaseEndpoint: aws.String(dynamoEndpoint),
					Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
				})
			}
			if lambdaEndpoint == "" {
				lambdaEndpoint = os.Getenv("AWS_ENDPOINT_URL_LAMBDA")
			}
			if lambdaEndpoint != "" {
				opts.Lambda = &tasks.HTTPInvoker{Endpoint: lambdaEndpoint}
			}
			e, err := engine.New(opts)
			if err != nil {
				return err
			}
			if err := e.Start(ctx); err != nil {
				return err
			}
			defer e.Close()
			listener, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: server.New(e, server.Options{Logger: logger}), ReadHeaderTimeout: 10 * time.Second}
			errs := make(chan error, 1)
			go func() { errs <- srv.Serve(listener) }()
			where := "memory"
			if dataDir != "" {
				where = dataDir
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Step Functions API on http://%s (data: %s)\n", listener.Addr(), where)
			select {
			case <-ctx.Done():
			case err := <-errs:
				if !errors.Is(err, http.ErrServerClosed) {
					return err
				}
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Shutdown(shutdown)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8083", "address of the Step Functions API")
	cmd.Flags().StringVar(&dataDir, "data", "", "directory of the journal; memory only when empty")
	cmd.Flags().StringVar(&region, "region", "us-east-1", "region in ARNs")
	cmd.Flags().StringVar(&account, "account", "123456789012", "account in ARNs")
	cmd.Flags().StringVar(&dynamoEndpoint, "dynamodb-endpoint", "", "DynamoDB endpoint for the dynamodb:* integrations (default: $AWS_ENDPOINT_URL_DYNAMODB)")
	cmd.Flags().StringVar(&lambdaEndpoint, "lambda-endpoint", "", "Lambda Invoke API endpoint for Lambda tasks (default: $AWS_ENDPOINT_URL_LAMBDA)")
	return cmd
}
