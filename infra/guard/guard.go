// Package guard loads the CloudFormation Guard policy validation plugin
// (@cdklabs/cdk-validator-cfnguard, an npm package with no Go binding) into the CDK app's jsii
// kernel, so that `cdk synth` checks the templates against AWS Control Tower's proactive
// controls with the cfn-guard binary the package ships. Nothing leaves the machine.
package guard

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	_jsii_ "github.com/aws/jsii-runtime-go/runtime"
)

// Package is the npm package's name; Version the one scripts/deps.sh installs.
const (
	Package = "@cdklabs/cdk-validator-cfnguard"
	Version = "0.0.62"
	fqn     = Package + ".CfnGuardValidator"
)

// Props configure the validator (the package's CfnGuardValidatorProps).
type Props struct {
	// ControlTowerRulesEnabled runs the Control Tower proactive controls shipped with the
	// package (default true).
	ControlTowerRulesEnabled *bool `field:"optional" json:"controlTowerRulesEnabled" yaml:"controlTowerRulesEnabled"`
	// DisabledRules are rule file names to skip, such as "ct-lambda-pr-3".
	DisabledRules *[]*string `field:"optional" json:"disabledRules" yaml:"disabledRules"`
	// Rules are more rule files or directories.
	Rules *[]*string `field:"optional" json:"rules" yaml:"rules"`
}

// validator is the Go face of the JavaScript class: the jsii runtime fills the embedded
// interface with a proxy bound to the same object.
type validator interface {
	awscdk.IPolicyValidationPlugin
}

// jsiiProxy_CfnGuardValidator carries the name prefix the jsii runtime requires of a proxy
// type that adds no methods of its own.
type jsiiProxy_CfnGuardValidator struct {
	awscdk.IPolicyValidationPlugin
}

var register sync.Once

// New loads the package from dir (node_modules/@cdklabs/cdk-validator-cfnguard) and returns the
// plugin, for awscdk.Validations_Of(app).AddPlugins.
func New(dir string, props *Props) (awscdk.IPolicyValidationPlugin, error) {
	version, err := installedVersion(dir)
	if err != nil {
		return nil, err
	}
	if version != Version {
		return nil, fmt.Errorf("%s is version %s; scripts/deps.sh cdk installs %s", dir, version, Version)
	}
	tarball, err := packTarball(dir)
	if err != nil {
		return nil, fmt.Errorf("packing %s: %w", dir, err)
	}
	_jsii_.Load(Package, Version, tarball)
	register.Do(func() {
		_jsii_.RegisterClass(fqn, reflect.TypeOf((*validator)(nil)).Elem(), []_jsii_.Member{
			_jsii_.MemberProperty{JsiiProperty: "name", GoGetter: "Name"},
			_jsii_.MemberProperty{JsiiProperty: "ruleIds", GoGetter: "RuleIds"},
			_jsii_.MemberMethod{JsiiMethod: "validate", GoMethod: "Validate"},
			_jsii_.MemberProperty{JsiiProperty: "version", GoGetter: "Version"},
		}, func() interface{} { return &jsiiProxy_CfnGuardValidator{} })
		_jsii_.RegisterStruct(Package+".CfnGuardValidatorProps", reflect.TypeOf((*Props)(nil)).Elem())
	})
	instance := jsiiProxy_CfnGuardValidator{}
	_jsii_.Create(fqn, []interface{}{props}, &instance)
	return &instance, nil
}

func installedVersion(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%s is not installed (run scripts/deps.sh cdk): %w", Package, err)
	}
	var manifest struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", dir, err)
	}
	return manifest.Version, nil
}

// packTarball makes the npm tarball the jsii kernel loads, leaving out the cfn-guard binaries
// of other platforms.
func packTarball(dir string) ([]byte, error) {
	platform := map[string]string{"linux": "ubuntu", "darwin": "macos"}[runtime.GOOS]
	architecture := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if platform == "" || architecture == "" {
		return nil, fmt.Errorf("cfn-guard ships no binary for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	keepBinaries := filepath.Join("bin", platform, architecture)
	var buffer bytes.Buffer
	compressed, _ := gzip.NewWriterLevel(&buffer, gzip.BestSpeed)
	archive := tar.NewWriter(compressed)
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		relative, err := filepath.Rel(dir, path)
		if err != nil || relative == "." {
			return err
		}
		if entry.IsDir() {
			if relative == "node_modules" || relative == ".yarn" ||
				(strings.HasPrefix(relative, "bin"+string(filepath.Separator)) && !strings.HasPrefix(keepBinaries, relative) && !strings.HasPrefix(relative, keepBinaries)) {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		header, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		header.Name = "package/" + filepath.ToSlash(relative)
		if err := archive.WriteHeader(header); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = archive.Write(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := archive.Close(); err != nil {
		return nil, err
	}
	if err := compressed.Close(); err != nil {
		return nil, err
	}
	return buffer.Bytes(), nil
}

// Violations reads the policy validation report of a synthesised cloud assembly and lists the
// violations no acknowledgment covers, one line each. The CDK prints them, but its exit status
// does not always reflect them.
func Violations(assemblyDir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(assemblyDir, "validation-report.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var report struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Violations []struct {
				RuleName            string `json:"ruleName"`
				Description         string `json:"description"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return nil, fmt.Errorf("%s/validation-report.json: %w", assemblyDir, err)
	}
	var out []string
	for _, plugin := range report.PluginReports {
		for _, violation := range plugin.Violations {
			for _, construct := range violation.ViolatingConstructs {
				out = append(out, fmt.Sprintf("%s: %s %s", construct.ConstructPath, violation.RuleName, violation.Description))
			}
		}
	}
	return out, nil
}
