// Package workflows holds the workflow definitions, embedded so that the local system loads the
// same file the CDK app deploys, wherever the binary runs.
package workflows

import _ "embed"

//go:embed fasttrack.asl.json
var fastTrack []byte

// FastTrack returns the fast-track state machine's definition, placeholders and all.
func FastTrack() []byte { return append([]byte(nil), fastTrack...) }
