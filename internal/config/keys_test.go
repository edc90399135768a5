package config_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/config"
)

const (
	keyIDB    = "7B8C9D0E1F"
	issuerIDB = "69a6de7f-1a2b-47e3-e053-5b8c7c11a4d1"
)

// keysYAML is a configuration with a second key for client-b, its key
// text in CLIENTB_KEY, and one app on each key.
func keysYAML(keyLines string) string {
	return `keys:
  - name: client-b
    key_id: "` + keyIDB + `"
    issuer_id: "` + issuerIDB + `"
` + keyLines + `apps:
  - id: "111"
    channel: C0AAA
  - id: "222"
    key: client-b
    channel: C0BBB
`
}

func TestLoadKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyPath := writeFile(t, dir, "clientb.p8", keys.p256)

	t.Run("env-only setup: one default key", func(t *testing.T) {
		t.Parallel()
		cfg, err := config.Load(getenv(baseEnv(t)), config.ModeNormal)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.KeyNames(); !slices.Equal(got, []string{"default"}) {
			t.Fatalf("keys = %v", got)
		}
		k, _ := cfg.Key("default")
		if k.KeyID != keyID || k.IssuerID != issuerID || !k.PrivateKey.IsSet() {
			t.Fatalf("default key = %+v", k)
		}
		if cfg.Apps[0].KeyName() != "default" || len(cfg.Warnings) != 0 {
			t.Fatalf("app key %q, warnings %v", cfg.Apps[0].KeyName(), cfg.Warnings)
		}
	})
	for _, tc := range []struct{ name, lines string }{
		{"key from a file", "    private_key_path: " + keyPath + "\n"},
		{"key from the environment", "    private_key_env: CLIENTB_KEY\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := baseEnv(t)
			env["ASCBOT_CONFIG"] = writeFile(t, t.TempDir(), "a.yaml", keysYAML(tc.lines))
			env["CLIENTB_KEY"] = escaped(keys.p256)
			cfg, err := config.Load(getenv(env), config.ModeNormal)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.KeyNames(); !slices.Equal(got, []string{"default", "client-b"}) {
				t.Fatalf("keys = %v", got)
			}
			b, _ := cfg.Key("client-b")
			if b.KeyID != keyIDB || b.IssuerID != issuerIDB || strings.TrimSpace(b.PrivateKey.Reveal()) != strings.TrimSpace(keys.p256) {
				t.Fatalf("client-b = %+v", b)
			}
			if cfg.Apps[0].KeyName() != "default" || cfg.Apps[1].KeyName() != "client-b" {
				t.Fatalf("app keys %q %q", cfg.Apps[0].KeyName(), cfg.Apps[1].KeyName())
			}
			if len(cfg.Warnings) != 0 {
				t.Fatalf("warnings %v", cfg.Warnings)
			}
			// The key never prints.
			assertNoSecret(t, "config", fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg))
		})
	}
	t.Run("keys and no ASC variables: no default key", func(t *testing.T) {
		t.Parallel()
		env := baseEnv(t)
		for _, k := range []string{"ASC_KEY_ID", "ASC_ISSUER_ID", "ASC_PRIVATE_KEY"} {
			delete(env, k)
		}
		y := strings.Replace(keysYAML("    private_key_env: CLIENTB_KEY\n"), "  - id: \"111\"\n    channel: C0AAA\n", "", 1)
		env["ASCBOT_CONFIG"] = writeFile(t, t.TempDir(), "a.yaml", y)
		env["CLIENTB_KEY"] = keys.p256
		cfg, err := config.Load(getenv(env), config.ModeNormal)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.KeyNames(); !slices.Equal(got, []string{"client-b"}) {
			t.Fatalf("keys = %v", got)
		}
	})
	t.Run("unused keys are warned", func(t *testing.T) {
		t.Parallel()
		env := baseEnv(t)
		y := strings.Replace(keysYAML("    private_key_env: CLIENTB_KEY\n"), "    key: client-b\n", "", 1)
		y = strings.Replace(y, "apps:", "  - name: client-c\n    key_id: C0FFEE1234\n    issuer_id: \""+issuerIDB+"\"\n    private_key_env: CLIENTB_KEY\napps:", 1)
		env["ASCBOT_CONFIG"] = writeFile(t, t.TempDir(), "a.yaml", y)
		env["CLIENTB_KEY"] = keys.p256
		cfg, err := config.Load(getenv(env), config.ModeNormal)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`config: keys[0]: key "client-b" is used by no app in apps (its apps are still reachable by name)`,
			`config: keys[1]: key "client-c" is used by no app in apps (its apps are still reachable by name)`,
		}
		if !slices.Equal(cfg.Warnings, want) {
			t.Fatalf("warnings\n got %q\nwant %q", cfg.Warnings, want)
		}
	})
	t.Run("unused default key is warned", func(t *testing.T) {
		t.Parallel()
		env := baseEnv(t)
		y := strings.Replace(keysYAML("    private_key_env: CLIENTB_KEY\n"), "  - id: \"111\"\n    channel: C0AAA\n", "", 1)
		env["ASCBOT_CONFIG"] = writeFile(t, t.TempDir(), "a.yaml", y)
		env["CLIENTB_KEY"] = keys.p256
		cfg, err := config.Load(getenv(env), config.ModeNormal)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{`config: ASC_KEY_ID: key "default" is used by no app in apps (its apps are still reachable by name)`}; !slices.Equal(cfg.Warnings, want) {
			t.Fatalf("warnings %q", cfg.Warnings)
		}
	})
	t.Run("sandbox reads no key material", func(t *testing.T) {
		t.Parallel()
		env := map[string]string{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken,
			"ASCBOT_CONFIG": writeFile(t, t.TempDir(), "a.yaml", keysYAML("    private_key_env: UNSET_KEY\n"))}
		cfg, err := config.Load(getenv(env), config.ModeSandbox)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.KeyNames(); !slices.Equal(got, []string{"default", "client-b"}) {
			t.Fatalf("keys = %v", got)
		}
	})
}

func TestLoadKeyErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p384Path := writeFile(t, dir, "p384.p8", keys.p384)
	envLine := "    private_key_env: CLIENTB_KEY\n"
	noASC := map[string]string{"ASC_KEY_ID": "", "ASC_ISSUER_ID": "", "ASC_PRIVATE_KEY": ""}
	tests := []struct {
		name string
		yaml string
		env  map[string]string // "" unsets
		want string
	}{
		{"key name missing", strings.Replace(keysYAML(envLine), "name: client-b", "name: \"\"", 1), nil,
			"config: keys[0].name: missing"},
		{"key named default", strings.Replace(keysYAML(envLine), "name: client-b", "name: default", 1), nil,
			`config: keys[0].name: "default" is the key ASC_KEY_ID configures; pick another name`},
		{"key name with spaces", strings.Replace(keysYAML(envLine), "name: client-b", "name: Client B", 1), nil,
			`config: keys[0].name: "Client B" must be lower-case letters, digits, - or _ (at most 32), like client-b`},
		{"key id missing", strings.Replace(keysYAML(envLine), `key_id: "`+keyIDB+`"`, "key_id: \"\"", 1), nil,
			"config: keys[0].key_id: missing"},
		{"key id malformed", strings.Replace(keysYAML(envLine), `key_id: "`+keyIDB+`"`, "key_id: \"7B8C-9D0E\"", 1), nil,
			"config: keys[0].key_id: must be letters and digits, like 2X9R4HXF34"},
		{"issuer malformed", strings.Replace(keysYAML(envLine), issuerIDB, "nope", 1), nil,
			"config: keys[0].issuer_id: must be a UUID like 57246542-96fe-1a63-e053-0824d011072a"},
		{"private key inline", keysYAML("    private_key: \"" + escaped(keys.p256) + "\"\n"), nil,
			"config: keys[0].private_key: not allowed: the private key never goes in the YAML; use private_key_path or private_key_env"},
		{"neither key form", keysYAML(""), nil,
			"config: keys[0].private_key_path: missing (or set private_key_env)"},
		{"both key forms", keysYAML("    private_key_path: /x.p8\n" + envLine), nil,
			"config: keys[0].private_key_path: set only one of private_key_path and private_key_env"},
		{"env name malformed", keysYAML("    private_key_env: \"CLIENT-B\"\n"), nil,
			`config: keys[0].private_key_env: "CLIENT-B" must be an environment variable name like CLIENTB_ASC_PRIVATE_KEY`},
		{"key variable not set", keysYAML(envLine), map[string]string{"CLIENTB_KEY": ""},
			"config: keys[0].private_key_env: CLIENTB_KEY is not set"},
		{"key variable not a key", keysYAML(envLine), map[string]string{"CLIENTB_KEY": "BOTSECRETQZ9c2e4d"},
			"config: keys[0].private_key_env: not a PKCS#8 PEM EC P-256 key"},
		{"key file unreadable", keysYAML("    private_key_path: {dir}/nope.p8\n"), nil,
			"config: keys[0].private_key_path: reading {dir}/nope.p8: no such file or directory"},
		{"key file wrong curve", keysYAML("    private_key_path: " + p384Path + "\n"), nil,
			"config: keys[0].private_key_path: not a PKCS#8 PEM EC P-256 key"},
		{"same key id twice in the YAML", strings.Replace(keysYAML(envLine), "apps:", "  - name: client-c\n    key_id: \""+keyIDB+"\"\n    issuer_id: \""+issuerIDB+"\"\n"+envLine+"apps:", 1), nil,
			"config: keys[1].key_id: duplicate key id " + keyIDB + " (also keys[0])"},
		{"same key id as ASC_KEY_ID", strings.Replace(keysYAML(envLine), keyIDB, keyID, 1), nil,
			"config: keys[0].key_id: duplicate key id " + keyID + " (also ASC_KEY_ID)"},
		{"same key name twice", strings.Replace(keysYAML(envLine), "apps:", "  - name: client-b\n    key_id: C0FFEE1234\n    issuer_id: \""+issuerIDB+"\"\n"+envLine+"apps:", 1), nil,
			`config: keys[1].name: duplicate key name "client-b" (also keys[0])`},
		{"app names an unknown key", strings.Replace(keysYAML(envLine), "key: client-b", "key: client-x", 1), nil,
			`config: apps[1].key: unknown key "client-x" (keys: default, client-b)`},
		{"no ASC variables: an app without key", keysYAML(envLine), noASC,
			"config: apps[0].key: missing: there is no default key (ASC_KEY_ID is not set), so every app names one of: client-b"},
		{"no ASC variables: an app naming default", strings.Replace(keysYAML(envLine), "    channel: C0AAA\n", "    key: default\n    channel: C0AAA\n", 1), noASC,
			`config: apps[0].key: unknown key "default": ASC_KEY_ID is not set (keys: client-b)`},
		{"no ASC variables and no keys", "", noASC,
			"config: ASC_KEY_ID: missing\nconfig: ASC_ISSUER_ID: missing\nconfig: ASC_PRIVATE_KEY_PATH: missing (or set ASC_PRIVATE_KEY)"},
		{"some ASC variables: still all needed", keysYAML(envLine), map[string]string{"ASC_KEY_ID": "", "ASC_PRIVATE_KEY": ""},
			"config: ASC_KEY_ID: missing\nconfig: ASC_PRIVATE_KEY_PATH: missing (or set ASC_PRIVATE_KEY)"},
		{"an unknown app key is a file error, reported alone", strings.Replace(keysYAML(envLine), "key: client-b", "key: client-x", 1), map[string]string{"CLIENTB_KEY": ""},
			"config: apps[1].key: unknown key \"client-x\" (keys: default, client-b)"},
		{"key variable unset and an app on no key", keysYAML(envLine), map[string]string{"CLIENTB_KEY": "", "ASC_KEY_ID": "", "ASC_ISSUER_ID": "", "ASC_PRIVATE_KEY": ""},
			"config: keys[0].private_key_env: CLIENTB_KEY is not set\nconfig: apps[0].key: missing: there is no default key (ASC_KEY_ID is not set), so every app names one of: client-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := baseEnv(t)
			env["CLIENTB_KEY"] = escaped(keys.p256)
			env["ASCBOT_CONFIG"] = writeFile(t, t.TempDir(), "a.yaml", strings.ReplaceAll(tt.yaml, "{dir}", dir))
			for k, v := range tt.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			cfg, err := config.Load(getenv(env), config.ModeNormal)
			if err == nil {
				t.Fatalf("Load succeeded (keys %v), want %q", cfg.KeyNames(), tt.want)
			}
			if want := strings.ReplaceAll(tt.want, "{dir}", dir); err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err, want)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}
