package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/config"
)

func TestDefaultIsConsistent(t *testing.T) {
	cfg := config.Default()
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	usd, ok := cfg.Thresholds("USD")
	if !ok || usd.AutoRelease != 5_000_000 || usd.SeniorManagement != 25_000_000 || usd.Cap != 100_000_000 {
		t.Errorf("USD tiers %+v", usd)
	}
	if cfg.Deadline("hr") != 48*time.Hour || cfg.Deadline("security") != 24*time.Hour {
		t.Error("deadlines")
	}
}

func TestLoadMergesFileThenEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.json")
	doc := `{"deadlines": {"security": "12h"}, "fund": {"currencies": {"USD": {"autoRelease": 100, "seniorManagement": 200, "cap": 300}}}}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		config.EnvFile: path,
		config.EnvJSON: `{"deadlines": {"finance": "2h"}, "escalation": {"maxLevel": 2}}`,
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Deadline("security") != 12*time.Hour || cfg.Deadline("finance") != 2*time.Hour || cfg.Deadline("hr") != 48*time.Hour {
		t.Errorf("deadlines %v", cfg.Deadlines)
	}
	if usd, _ := cfg.Thresholds("USD"); usd.Cap != 300 {
		t.Errorf("USD %+v", usd)
	}
	if _, ok := cfg.Thresholds("EUR"); !ok {
		t.Error("merging USD removed EUR")
	}
	if cfg.Escalation.MaxLevel != 2 || cfg.Escalation.Targets["finance"] != "senior-management" {
		t.Errorf("escalation %+v", cfg.Escalation)
	}
}

func TestBadConfigurationIsRefusedAndChangesNothing(t *testing.T) {
	cases := map[string]string{
		"unknown field":      `{"fund": {"currency": {}}}`,
		"bad duration":       `{"deadlines": {"hr": "two days"}}`,
		"tiers out of order": `{"fund": {"currencies": {"USD": {"autoRelease": 300, "seniorManagement": 200, "cap": 100}}}}`,
		"weights":            `{"priority": {"officeWeight": 20}}`,
		"levels":             `{"security": {"autoClearMax": 5, "approvalMax": 3}}`,
		"not JSON":           `deadlines: {}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			if err := cfg.Merge([]byte(doc)); err == nil {
				t.Fatal("accepted")
			}
			if err := cfg.Check(); err != nil || cfg.Priority.OfficeWeight != 10 {
				t.Error("a refused document changed the configuration")
			}
		})
	}
	_, err := config.Load(func(k string) string {
		if k == config.EnvFile {
			return "/nonexistent/rules.json"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "rules.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadReadsYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	doc := "deadlines:\n  hr: 72h\nfund:\n  currencies:\n    USD: {autoRelease: 1, seniorManagement: 2, cap: 3}\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string {
		if k == config.EnvFile {
			return path
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Deadline("hr") != 72*time.Hour {
		t.Errorf("hr deadline %s", cfg.Deadline("hr"))
	}
	if usd, _ := cfg.Thresholds("USD"); usd.Cap != 3 {
		t.Errorf("USD %+v", usd)
	}
	if err := os.WriteFile(path, []byte("deadline:\n  hr: 72h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(func(k string) string {
		if k == config.EnvFile {
			return path
		}
		return ""
	}); err == nil {
		t.Error("a misspelt YAML setting was accepted")
	}
}
