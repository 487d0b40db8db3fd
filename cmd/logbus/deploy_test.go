package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/logbus/logbus/cmd/internal/cli"
)

// flagSets are the real binaries' flag sets, by command as the
// deployment files invoke them.
func flagSets(t *testing.T, argv []string) (*pflag.FlagSet, []string) {
	t.Helper()
	switch filepath.Base(argv[0]) {
	case "broker":
		return cli.BrokerFlagSet(), argv[1:]
	case "filesink":
		return cli.FilesinkFlagSet(), argv[1:]
	case "logbus":
		if len(argv) > 1 && argv[1] == "demo" {
			return demoFlagSet(), argv[2:]
		}
	}
	t.Fatalf("unknown command %q", argv)
	return nil, nil
}

// checkInvocation parses argv with the binary's own flags and loads the
// configuration file it names (mapped into the repository).
func checkInvocation(t *testing.T, where string, argv []string) {
	t.Helper()
	fs, args := flagSets(t, argv)
	fs.SetOutput(new(strings.Builder))
	if err := fs.Parse(args); err != nil {
		t.Errorf("%s: %q: %v", where, argv, err)
		return
	}
	if fs.NArg() > 0 {
		t.Errorf("%s: stray arguments %q", where, fs.Args())
	}
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		local := filepath.Join("..", "..", "configs", filepath.Base(f.Value.String()))
		if err := fs.Set("config", local); err != nil {
			t.Fatal(err)
		}
		v, err := cli.Load(fs, "config")
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		switch filepath.Base(argv[0]) {
		case "broker":
			_, _, err = cli.BrokerConfig(v)
		case "filesink":
			_, err = cli.FilesinkConfig(v)
		}
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
}

func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Command []string `yaml:"command"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"broker", "filesink", "demo"} {
		svc, ok := compose.Services[name]
		if !ok {
			t.Fatalf("service %s missing", name)
		}
		checkInvocation(t, "docker-compose.yml "+name, svc.Command)
	}
	if !strings.Contains(strings.Join(compose.Services["filesink"].Volumes, " "), ":/var/log/logbus") {
		t.Error("file sink logs are not on a volume")
	}
	// The file sink reads the broker's archive endpoint.
	if cmd := strings.Join(compose.Services["filesink"].Command, " "); !strings.Contains(cmd, "--connect=tcp://broker:5014") {
		t.Errorf("file sink does not read the archive: %s", cmd)
	}
}

func TestSystemdUnits(t *testing.T) {
	for _, unit := range []string{"logbus-broker.service", "logbus-filesink.service"} {
		f, err := os.Open(filepath.Join("..", "..", "configs", unit))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "ExecStart="); ok {
				found = true
				checkInvocation(t, unit, strings.Fields(line))
			}
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
		if !found {
			t.Errorf("%s has no ExecStart", unit)
		}
	}
}
