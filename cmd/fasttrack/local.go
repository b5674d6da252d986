package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
)

func newLocalCommand() *cobra.Command {
	var addr, dataDir string
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run the whole system on this machine (DynamoDB Local, the embedded engine, the API)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			dynamo, err := dynamolocal.Start(ctx, dynamolocal.Options{DataDir: filepath.Join(dataDir, "dynamodb")})
			if err != nil {
				return err
			}
			defer dynamo.Stop()
			fmt.Fprintf(out, "DynamoDB Local: %s (data in %s)\n", dynamo.Endpoint, filepath.Join(dataDir, "dynamodb"))
			fmt.Fprintln(out, "Press Ctrl-C to stop.")
			select {
			case <-ctx.Done():
			case <-dynamo.Done():
				return fmt.Errorf("DynamoDB Local exited unexpectedly")
			}
			fmt.Fprintln(out, "stopping")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address of the HTTP API")
	cmd.Flags().StringVar(&dataDir, "data", defaultDataDir(), "directory that keeps local data between runs")
	return cmd
}

func defaultDataDir() string {
	if dir := os.Getenv("FASTTRACK_DATA"); dir != "" {
		return dir
	}
	return ".data"
}
