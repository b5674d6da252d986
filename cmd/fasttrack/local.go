package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/console"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/seed"
)

// newLocalCommand runs the whole system on this machine until Ctrl-C (see internal/localstack).
func newLocalCommand() *cobra.Command {
	var addr, dataDir, servicesAddr, logLevel string
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run the whole system on this machine (DynamoDB Local, the embedded engine, the functions, the API)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			rules, err := config.Load(os.Getenv)
			if err != nil {
				return err
			}
			began := time.Now()
			system, err := localstack.Start(ctx, localstack.Options{DataDir: dataDir, Addr: addr, ServicesAddr: servicesAddr,
				Logger: logger, Config: rules,
				Console: func(*localstack.System) (http.Handler, error) {
					return console.Handler(console.WithRules(rules)), nil
				}})
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("%w\nanother program (perhaps another `fasttrack local`) serves there: stop it, or choose another address with --addr (make run ADDR=127.0.0.1:9090)", err)
			}
			if err != nil {
				return err
			}
			defer system.Close()
			printBanner(out, system, time.Since(began))
			select {
			case <-ctx.Done():
			case <-system.Done():
				return fmt.Errorf("DynamoDB Local exited unexpectedly")
			}
			fmt.Fprintln(out, "stopping")
			return system.Close()
		},
	}
	cmd.Flags().StringVar(&addr, "addr", localstack.DefaultAddr, "address of the HTTP API")
	cmd.Flags().StringVar(&dataDir, "data", defaultDataDir(), "directory that keeps local data between runs")
	cmd.Flags().StringVar(&servicesAddr, "sfn-addr", "127.0.0.1:0", "address of the local Step Functions (and EventBridge) endpoint")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func printBanner(out io.Writer, s *localstack.System, took time.Duration) {
	fmt.Fprintf(out, "Fast-Track is running (started in %s)\n\n", took.Round(time.Millisecond))
	fmt.Fprintf(out, "  API              %s   (OpenAPI: %s/openapi.json)\n", s.APIURL, s.APIURL)
	if s.ConsoleURL != "" {
		fmt.Fprintf(out, "  Console          %s\n", s.ConsoleURL)
	}
	fmt.Fprintf(out, "  Step Functions   %s   (AWS_ENDPOINT_URL_SFN=%s)\n", s.ServicesURL, s.ServicesURL)
	fmt.Fprintf(out, "  DynamoDB Local   %s\n", s.DynamoDBEndpoint)
	fmt.Fprintf(out, "  State machine    %s\n", s.StateMachineARN)
	fmt.Fprintf(out, "  Data             %s\n\n", s.DataDir)
	fmt.Fprintln(out, "Demo accounts:")
	for _, account := range seed.DemoUsers() {
		roles := make([]string, len(account.Roles))
		for i, role := range account.Roles {
			roles[i] = string(role)
		}
		fmt.Fprintf(out, "  %-11s %-18s %-4s %s\n", account.ID, strings.Join(roles, ","), account.Office, account.DisplayName)
	}
	fmt.Fprintf(out, "\nSign in:   go run ./cmd/fasttrack login office-ke --api %s   (later commands use it; `whoami` says who you are)\n", s.APIURL)
	fmt.Fprintf(out, "With curl: TOKEN=$(go run ./cmd/fasttrack token office-ke --api %s)\n", s.APIURL)
	fmt.Fprintf(out, "           curl -H \"Authorization: Bearer $TOKEN\" %s/activations\n", s.APIURL)
	fmt.Fprintln(out, "Press Ctrl-C to stop.")
}

func defaultDataDir() string {
	if dir := os.Getenv("FASTTRACK_DATA"); dir != "" {
		return dir
	}
	return ".data"
}
