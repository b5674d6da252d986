// Command ensure fetches DynamoDB Local into the project's cache if it is not there yet.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
)

func main() {
	dir, err := dynamolocal.DefaultCacheDir()
	if err == nil {
		dir, err = dynamolocal.Ensure(context.Background(), dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "deps: DynamoDB Local ready in", dir)
}
