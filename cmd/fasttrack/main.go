// Command fasttrack is the Fast-Track command line: `fasttrack local` runs the whole system on
// one machine; the client commands talk to a local or a deployed API alike.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := execute(ctx, newRootCommand()); err != nil {
		fmt.Fprintln(os.Stderr, "fasttrack:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "fasttrack",
		Short:         "Fast-Track: emergency response activation on a fast track",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newLocalCommand())
	root.AddCommand(newSFNLocalCommand())
	root.AddCommand(newConfigCommand())
	addClientCommands(root)
	return root
}
