package asl

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds definitions to Parse: it must never panic, and whatever it accepts must be a
// consistent program (every transition resolved, every state numbered).
func FuzzParse(f *testing.F) {
	f.Add(fastTrack(f))
	seeds, _ := filepath.Glob("testdata/definitions/*.json")
	for _, path := range seeds {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, definition []byte) {
		prog, err := Parse(definition, Options{})
		if err != nil {
			if prog != nil {
				t.Fatal("Parse returned a program and an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for i, s := range prog.States {
			if s.ID != i {
				t.Fatalf("state %q has ID %d at %d", s.Name, s.ID, i)
			}
			if !s.End && s.Type != TypeChoice && s.Next == nil {
				t.Fatalf("state %q has no transition", s.Name)
			}
			for j, next := range s.ChoiceNext {
				if next == nil {
					t.Fatalf("state %q choice %d has no target", s.Name, j)
				}
			}
		}
	})
}
