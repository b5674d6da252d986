package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

// jsonBody sends bytes that are already JSON as they are.
type jsonBody []byte

// MarshalJSON returns the bytes unchanged (they must be JSON; the API says where not).
func (b jsonBody) MarshalJSON() ([]byte, error) {
	if !json.Valid(b) {
		return nil, fmt.Errorf("the request file is not valid JSON")
	}
	return b, nil
}

func jsonUnmarshal(data []byte, out any) error {
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the API answered something that is not the expected JSON: %w", err)
	}
	return nil
}

// orJSON returns err, or prints data as JSON when there is no error.
func orJSON(cmd *cobra.Command, data []byte, err error) error {
	if err != nil {
		return err
	}
	return printJSON(cmd.OutOrStdout(), data)
}
