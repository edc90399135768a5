package config_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ascbot/ascbot/internal/config"
)

// Distinctive fake secrets: no error or printed form may contain any part of
// them (after their well-known prefixes).
const (
	appToken      = "xapp-1-A0APPSECRETQZ7f3a9"
	botToken      = "xoxb-1-BOTSECRETQZ9c2e4d"
	webhookSecret = "HOOKSECRETQZ41dd8"
	issuerID      = "57246542-96fe-1a63-e053-0824d011072a"
	keyID         = "2X9R4HXF34"
)

// keys holds PEM texts generated once per test binary.
var keys = struct {
	p256, p384, sec1, ed25519 string
}{
	p256:    pemPKCS8(mustEC(elliptic.P256())),
	p384:    pemPKCS8(mustEC(elliptic.P384())),
	sec1:    pemSEC1(mustEC(elliptic.P256())),
	ed25519: pemPKCS8(mustEd25519()),
}

func mustEC(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEd25519() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func pemPKCS8(k any) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pemSEC1(k *ecdsa.PrivateKey) string {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

// secretParts returns every 6-character window of the distinctive part of
// each secret, including each line of every key's base64 body.
func secretParts() []string {
	var parts []string
	windows := func(s string) {
		for i := 0; i+6 <= len(s); i++ {
			parts = append(parts, s[i:i+6])
		}
	}
	windows(strings.TrimPrefix(appToken, "xapp-1-"))
	windows(strings.TrimPrefix(botToken, "xoxb-1-"))
	windows(webhookSecret)
	for _, k := range []string{keys.p256, keys.p384, keys.sec1, keys.ed25519} {
		for _, line := range strings.Split(k, "\n") {
			if line == "" || strings.HasPrefix(line, "-----") {
				continue
			}
			// 12-character windows of base64: shorter ones could match by chance.
			for i := 0; i+12 <= len(line); i += 4 {
				parts = append(parts, line[i:i+12])
			}
		}
	}
	return parts
}

var allSecretParts = secretParts()

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range allSecretParts {
		if strings.Contains(s, p) {
			t.Fatalf("%s contains secret fragment %q:\n%s", what, p, s)
		}
	}
}

// escaped is how people paste a PEM into one env line.
func escaped(pemText string) string { return strings.ReplaceAll(pemText, "\n", `\n`) }

const goodYAML = `poll: "@every 5m"
approvers: ["S0RELEASE"]
apps:
  - id: "1234567890"
    channel: "C0123456789"
    approvers: ["U0AAA", "S0BBB"]
    submitters: []
    uses_non_exempt_encryption: false
    webhook_secret: "` + webhookSecret + `"
    two_person_rule: true
    platform: IOS
  - bundle_id: com.example.other
    channel: G0PRIVATE1
    platform: mac_os
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// baseEnv is a complete, valid normal-mode environment.
func baseEnv(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	return map[string]string{
		"SLACK_APP_TOKEN": appToken,
		"SLACK_BOT_TOKEN": botToken,
		"ASC_KEY_ID":      keyID,
		"ASC_ISSUER_ID":   issuerID,
		"ASC_PRIVATE_KEY": escaped(keys.p256),
		"ASCBOT_CONFIG":   writeFile(t, dir, "ascbot.yaml", goodYAML),
	}
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadValid(t *testing.T) {
	env := baseEnv(t)
	cfg, err := config.Load(getenv(env), config.ModeNormal)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"mode", cfg.Mode, config.ModeNormal},
		{"app token", cfg.Slack.AppToken.Reveal(), appToken},
		{"bot token", cfg.Slack.BotToken.Reveal(), botToken},
		{"slack url", cfg.Slack.APIURL, "https://slack.com/api/"},
		{"key id", cfg.ASC.KeyID, keyID},
		{"issuer", cfg.ASC.IssuerID, issuerID},
		{"private key", cfg.ASC.PrivateKey.Reveal(), keys.p256},
		{"key path", cfg.ASC.PrivateKeyPath, ""},
		{"asc url", cfg.ASC.APIURL, "https://api.appstoreconnect.apple.com"},
		{"config path", cfg.ConfigPath, env["ASCBOT_CONFIG"]},
		{"db", cfg.DBPath, "ascbot.db"},
		{"http", cfg.HTTPAddr, ""},
		{"log level", cfg.LogLevel, "info"},
		{"stage", cfg.SandboxStage, time.Minute},
		{"poll", cfg.Poll, "@every 5m"},
		{"approvers", fmt.Sprint(cfg.Approvers), "[S0RELEASE]"},
		{"apps", len(cfg.Apps), 2},
		{"app0 id", cfg.Apps[0].ID, "1234567890"},
		{"app0 channel", cfg.Apps[0].Channel, "C0123456789"},
		{"app0 approvers", fmt.Sprint(cfg.Apps[0].Approvers), "[U0AAA S0BBB]"},
		{"app0 encryption set", cfg.Apps[0].UsesNonExemptEncryption != nil && !*cfg.Apps[0].UsesNonExemptEncryption, true},
		{"app0 webhook", cfg.Apps[0].WebhookSecret.Reveal(), webhookSecret},
		{"app0 two person", cfg.Apps[0].TwoPersonRule, true},
		{"app0 platform", cfg.Apps[0].Platform, "IOS"},
		{"app1 bundle", cfg.Apps[1].BundleID, "com.example.other"},
		{"app1 encryption absent", cfg.Apps[1].UsesNonExemptEncryption == nil, true},
		{"app1 platform upper-cased", cfg.Apps[1].Platform, "MAC_OS"},
		{"app1 private channel", cfg.Apps[1].Channel, "G0PRIVATE1"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestLoadOverrides(t *testing.T) {
	dir := t.TempDir()
	keyPath := writeFile(t, dir, "AuthKey.p8", keys.p256)
	tests := []struct {
		name  string
		env   map[string]string
		check func(*config.Config) error
	}{
		{"slack url gets a trailing slash", map[string]string{"SLACK_API_URL": "http://127.0.0.1:9/api"}, func(c *config.Config) error {
			return want(c.Slack.APIURL, "http://127.0.0.1:9/api/")
		}},
		{"slack url kept when it has one", map[string]string{"SLACK_API_URL": "http://127.0.0.1:9/api/"}, func(c *config.Config) error {
			return want(c.Slack.APIURL, "http://127.0.0.1:9/api/")
		}},
		{"asc url loses its trailing slash", map[string]string{"ASC_API_URL": "http://127.0.0.1:9/asc/"}, func(c *config.Config) error {
			return want(c.ASC.APIURL, "http://127.0.0.1:9/asc")
		}},
		{"key from file", map[string]string{"ASC_PRIVATE_KEY": "", "ASC_PRIVATE_KEY_PATH": keyPath}, func(c *config.Config) error {
			if err := want(c.ASC.PrivateKeyPath, keyPath); err != nil {
				return err
			}
			return want(c.ASC.PrivateKey.Reveal(), keys.p256)
		}},
		{"key with real newlines", map[string]string{"ASC_PRIVATE_KEY": keys.p256}, func(c *config.Config) error {
			return want(c.ASC.PrivateKey.Reveal(), keys.p256)
		}},
		{"db, http, level, stage", map[string]string{"ASCBOT_DB": "/var/lib/ascbot/db", "ASCBOT_HTTP_ADDR": ":8080", "ASCBOT_LOG_LEVEL": "DEBUG", "ASCBOT_SANDBOX_STAGE": "90s"}, func(c *config.Config) error {
			return errors.Join(want(c.DBPath, "/var/lib/ascbot/db"), want(c.HTTPAddr, ":8080"), want(c.LogLevel, "debug"), want(c.SandboxStage, 90*time.Second))
		}},
		{"sandbox env turns normal into sandbox", map[string]string{"ASCBOT_SANDBOX": "1"}, func(c *config.Config) error {
			return want(c.Mode, config.ModeSandbox)
		}},
		{"sandbox=false keeps normal", map[string]string{"ASCBOT_SANDBOX": "false"}, func(c *config.Config) error {
			return want(c.Mode, config.ModeNormal)
		}},
		{"no yaml: defaults", map[string]string{"ASCBOT_CONFIG": ""}, func(c *config.Config) error {
			return errors.Join(want(c.ConfigPath, ""), want(c.Poll, "@every 2m"), want(len(c.Apps), 0))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no ./ascbot.yaml
			env := baseEnv(t)
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := config.Load(getenv(env), config.ModeNormal)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.check(cfg); err != nil {
				t.Error(err)
			}
		})
	}
}

func want[T comparable](got, want T) error {
	if got != want {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	return nil
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	p384Path := writeFile(t, dir, "p384.p8", keys.p384)
	unknownKeyYAML := writeFile(t, dir, "unknown.yaml", "apps:\n  - id: \"1\"\n    channel: C0123\n    foo: "+webhookSecret+"\n")
	tests := []struct {
		name string
		mode config.Mode
		env  map[string]string // "" unsets
		want string            // exact error text; {dir} is replaced
	}{
		{"bot token missing", config.ModeNormal, map[string]string{"SLACK_BOT_TOKEN": ""}, "config: SLACK_BOT_TOKEN: missing"},
		{"bot token wrong kind", config.ModeNormal, map[string]string{"SLACK_BOT_TOKEN": "xoxp-1-BOTSECRETQZ9c2e4d"}, "config: SLACK_BOT_TOKEN: must start with xoxb-"},
		{"bot token given as app token", config.ModeNormal, map[string]string{"SLACK_BOT_TOKEN": appToken}, "config: SLACK_BOT_TOKEN: must start with xoxb-"},
		{"bot token only prefix", config.ModeNormal, map[string]string{"SLACK_BOT_TOKEN": "xoxb-"}, "config: SLACK_BOT_TOKEN: must start with xoxb-"},
		{"bot token with inner space", config.ModeNormal, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-BOTSECRET QZ9c2e4d"}, "config: SLACK_BOT_TOKEN: must not contain whitespace"},
		{"app token missing", config.ModeNormal, map[string]string{"SLACK_APP_TOKEN": ""}, "config: SLACK_APP_TOKEN: missing"},
		{"app token given as bot token", config.ModeNormal, map[string]string{"SLACK_APP_TOKEN": botToken}, "config: SLACK_APP_TOKEN: must start with xapp-"},
		{"slack url not http", config.ModeNormal, map[string]string{"SLACK_API_URL": "ftp://slack.com/api/"}, "config: SLACK_API_URL: must be an absolute http(s) URL"},
		{"slack url relative", config.ModeNormal, map[string]string{"SLACK_API_URL": "/api/"}, "config: SLACK_API_URL: must be an absolute http(s) URL"},
		{"slack url with credentials", config.ModeNormal, map[string]string{"SLACK_API_URL": "https://u:" + webhookSecret + "@slack.com/api/"}, "config: SLACK_API_URL: must not contain credentials"},
		{"asc url with query", config.ModeNormal, map[string]string{"ASC_API_URL": "https://x.example/?a=b"}, "config: ASC_API_URL: must not have a query or fragment"},
		{"key id missing", config.ModeNormal, map[string]string{"ASC_KEY_ID": ""}, "config: ASC_KEY_ID: missing"},
		{"key id malformed", config.ModeNormal, map[string]string{"ASC_KEY_ID": "2X9R-4HXF"}, "config: ASC_KEY_ID: must be letters and digits, like 2X9R4HXF34"},
		{"issuer missing", config.ModeNormal, map[string]string{"ASC_ISSUER_ID": ""}, "config: ASC_ISSUER_ID: missing"},
		{"issuer malformed", config.ModeNormal, map[string]string{"ASC_ISSUER_ID": "not-a-uuid"}, "config: ASC_ISSUER_ID: must be a UUID like 57246542-96fe-1a63-e053-0824d011072a"},
		{"no private key", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": ""}, "config: ASC_PRIVATE_KEY_PATH: missing (or set ASC_PRIVATE_KEY)"},
		{"both key forms", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY_PATH": p384Path}, "config: ASC_PRIVATE_KEY: set only one of ASC_PRIVATE_KEY_PATH and ASC_PRIVATE_KEY"},
		{"key file missing", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": "", "ASC_PRIVATE_KEY_PATH": "/nonexistent/x.p8"}, "config: ASC_PRIVATE_KEY_PATH: reading /nonexistent/x.p8: no such file or directory"},
		{"key file wrong curve", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": "", "ASC_PRIVATE_KEY_PATH": p384Path}, "config: ASC_PRIVATE_KEY_PATH: not a PKCS#8 PEM EC P-256 key"},
		{"key text garbage", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": "BOTSECRETQZ9c2e4d"}, "config: ASC_PRIVATE_KEY: not a PKCS#8 PEM EC P-256 key"},
		{"key text P-384", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": escaped(keys.p384)}, "config: ASC_PRIVATE_KEY: not a PKCS#8 PEM EC P-256 key"},
		{"key text SEC1 not PKCS#8", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": escaped(keys.sec1)}, "config: ASC_PRIVATE_KEY: not a PKCS#8 PEM EC P-256 key"},
		{"key text Ed25519", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": escaped(keys.ed25519)}, "config: ASC_PRIVATE_KEY: not a PKCS#8 PEM EC P-256 key"},
		{"key text truncated", config.ModeNormal, map[string]string{"ASC_PRIVATE_KEY": escaped(keys.p256[:len(keys.p256)/2])}, "config: ASC_PRIVATE_KEY: not a PKCS#8 PEM EC P-256 key"},
		{"sandbox flag garbage", config.ModeNormal, map[string]string{"ASCBOT_SANDBOX": "maybe"}, "config: ASCBOT_SANDBOX: must be 1, true, 0 or false"},
		{"log level", config.ModeNormal, map[string]string{"ASCBOT_LOG_LEVEL": "verbose"}, `config: ASCBOT_LOG_LEVEL: "verbose" must be debug, info, warn or error`},
		{"stage not a duration", config.ModeNormal, map[string]string{"ASCBOT_SANDBOX_STAGE": "soon"}, `config: ASCBOT_SANDBOX_STAGE: "soon" must be a positive duration like 1m or 30s`},
		{"stage negative", config.ModeNormal, map[string]string{"ASCBOT_SANDBOX_STAGE": "-1s"}, `config: ASCBOT_SANDBOX_STAGE: "-1s" must be a positive duration like 1m or 30s`},
		{"http addr without port", config.ModeNormal, map[string]string{"ASCBOT_HTTP_ADDR": "8080"}, `config: ASCBOT_HTTP_ADDR: "8080" must be host:port or :port`},
		{"config file missing", config.ModeNormal, map[string]string{"ASCBOT_CONFIG": "{dir}/nope.yaml"}, "config: ASCBOT_CONFIG: reading {dir}/nope.yaml: no such file or directory"},
		{"config file unknown key", config.ModeNormal, map[string]string{"ASCBOT_CONFIG": unknownKeyYAML}, `config: {dir}/unknown.yaml line 4: unknown key "foo"`},
		{"sandbox still needs slack", config.ModeSandbox, map[string]string{"SLACK_APP_TOKEN": ""}, "config: SLACK_APP_TOKEN: missing"},
		{"unknown mode", config.Mode(7), nil, "config: mode: unknown mode Mode(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv(t)
			for k, v := range tt.env {
				env[k] = strings.ReplaceAll(v, "{dir}", dir)
			}
			cfg, err := config.Load(getenv(env), tt.mode)
			if err == nil {
				t.Fatalf("Load succeeded (%+v), want error %q", cfg, tt.want)
			}
			wantText := strings.ReplaceAll(tt.want, "{dir}", dir)
			if err.Error() != wantText {
				t.Errorf("error\n got %q\nwant %q", err.Error(), wantText)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestLoadErrorUnwrapsCause(t *testing.T) {
	env := baseEnv(t)
	env["ASC_PRIVATE_KEY"] = ""
	env["ASC_PRIVATE_KEY_PATH"] = filepath.Join(t.TempDir(), "missing.p8")
	_, err := config.Load(getenv(env), config.ModeNormal)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
}

// TestModes checks which credentials each mode requires.
func TestModes(t *testing.T) {
	none := map[string]string{"SLACK_APP_TOKEN": "", "SLACK_BOT_TOKEN": "", "ASC_KEY_ID": "", "ASC_ISSUER_ID": "", "ASC_PRIVATE_KEY": ""}
	noASC := map[string]string{"ASC_KEY_ID": "", "ASC_ISSUER_ID": "", "ASC_PRIVATE_KEY": ""}
	badASC := map[string]string{"ASC_KEY_ID": "!", "ASC_PRIVATE_KEY": "junk"}
	tests := []struct {
		name     string
		mode     config.Mode
		env      map[string]string
		wantErr  string
		wantMode config.Mode
	}{
		// Every missing variable in one run, in the README's order.
		{"normal needs ASC", config.ModeNormal, noASC, "config: ASC_KEY_ID: missing\nconfig: ASC_ISSUER_ID: missing\nconfig: ASC_PRIVATE_KEY_PATH: missing (or set ASC_PRIVATE_KEY)", 0},
		{"normal needs slack", config.ModeNormal, none, "config: SLACK_APP_TOKEN: missing\nconfig: SLACK_BOT_TOKEN: missing\nconfig: ASC_KEY_ID: missing\nconfig: ASC_ISSUER_ID: missing\nconfig: ASC_PRIVATE_KEY_PATH: missing (or set ASC_PRIVATE_KEY)", 0},
		{"sandbox without ASC", config.ModeSandbox, noASC, "", config.ModeSandbox},
		{"sandbox ignores bad ASC", config.ModeSandbox, badASC, "", config.ModeSandbox},
		{"sandbox needs slack", config.ModeSandbox, none, "config: SLACK_APP_TOKEN: missing\nconfig: SLACK_BOT_TOKEN: missing", 0},
		{"sandbox via env without ASC", config.ModeNormal, merge(noASC, map[string]string{"ASCBOT_SANDBOX": "true"}), "", config.ModeSandbox},
		{"demo needs nothing", config.ModeDemo, none, "", config.ModeDemo},
		{"demo ignores bad slack and ASC", config.ModeDemo, merge(badASC, map[string]string{"SLACK_BOT_TOKEN": "nope"}), "", config.ModeDemo},
		{"demo stays demo with sandbox env", config.ModeDemo, map[string]string{"ASCBOT_SANDBOX": "1"}, "", config.ModeDemo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv(t)
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := config.Load(getenv(env), tt.mode)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Mode != tt.wantMode {
				t.Errorf("mode = %v, want %v", cfg.Mode, tt.wantMode)
			}
			if cfg.Mode != config.ModeNormal && (cfg.ASC.KeyID != "" || cfg.ASC.PrivateKey != "") {
				t.Errorf("ASC credentials loaded in %v mode", cfg.Mode)
			}
			if cfg.Mode == config.ModeDemo && (cfg.Slack.BotToken != "" || cfg.Slack.AppToken != "") {
				t.Errorf("Slack tokens loaded in demo mode")
			}
		})
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestConfigFileDiscovery(t *testing.T) {
	tests := []struct {
		name     string
		local    string // content of ./ascbot.yaml, "" = absent
		wantPath string
		wantPoll string
		wantErr  string
	}{
		{"absent: no file, defaults", "", "", "@every 2m", ""},
		{"present: used", "poll: \"@hourly\"\n", "ascbot.yaml", "@hourly", ""},
		{"present and invalid", "poll: \"@every x\"\n", "", "", `config: poll: bad cron spec "@every x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			if tt.local != "" {
				writeFile(t, dir, "ascbot.yaml", tt.local)
			}
			env := baseEnv(t)
			delete(env, "ASCBOT_CONFIG")
			cfg, err := config.Load(getenv(env), config.ModeNormal)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ConfigPath != tt.wantPath || cfg.Poll != tt.wantPoll {
				t.Errorf("path %q poll %q, want %q %q", cfg.ConfigPath, cfg.Poll, tt.wantPath, tt.wantPoll)
			}
		})
	}
}

// TestNoSecretInPrintedConfig prints a fully loaded config every way a
// developer might and requires that no secret shows while the redaction
// marker does.
func TestNoSecretInPrintedConfig(t *testing.T) {
	env := baseEnv(t)
	cfg, err := config.Load(getenv(env), config.ModeNormal)
	if err != nil {
		t.Fatal(err)
	}
	// Guard: the secrets really are in the config, so absence below means redaction.
	if cfg.Slack.BotToken.Reveal() != botToken || cfg.Apps[0].WebhookSecret.Reveal() != webhookSecret || cfg.ASC.PrivateKey.Reveal() != keys.p256 {
		t.Fatal("secrets not loaded")
	}
	jsonBytes, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	yamlBytes, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var textLog, jsonLog bytes.Buffer
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("config", "cfg", cfg, "value", *cfg, "slack", cfg.Slack, "app", cfg.Apps[0], "token", cfg.Slack.BotToken)
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "cfg", cfg, "value", *cfg, "slack", cfg.Slack, "app", cfg.Apps[0], "token", cfg.Slack.BotToken)

	outputs := []struct{ name, out string }{
		{"fmt %v %+v %#v pointer", fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)},
		{"fmt %v %+v %#v value", fmt.Sprintf("%v %+v %#v", *cfg, *cfg, *cfg)},
		{"fmt apps", fmt.Sprintf("%v %+v %#v", cfg.Apps, cfg.Apps, cfg.Apps)},
		{"fmt other verbs", fmt.Sprintf("%s %q %x %X %d %10s %T", cfg.Slack.BotToken, cfg.Slack.BotToken, cfg.Slack.BotToken, cfg.ASC.PrivateKey, cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.AppToken)},
		{"json", string(jsonBytes)},
		{"yaml", string(yamlBytes)},
		{"slog text", textLog.String()},
		{"slog json", jsonLog.String()},
	}
	for _, o := range outputs {
		t.Run(o.name, func(t *testing.T) {
			assertNoSecret(t, o.name, o.out)
			if !strings.Contains(o.out, "[redacted]") {
				t.Errorf("%s lacks [redacted]:\n%s", o.name, o.out)
			}
		})
	}
}

func TestSecretForms(t *testing.T) {
	tests := []struct {
		name   string
		s      config.Secret
		want   string
		wantJS string
	}{
		{"set", config.Secret("hunter2"), "[redacted]", `"[redacted]"`},
		{"empty", config.Secret(""), "", `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, _ := tt.s.MarshalText()
			js, _ := json.Marshal(tt.s)
			got := []string{tt.s.String(), tt.s.GoString(), fmt.Sprint(tt.s), fmt.Sprintf("%#v", tt.s), string(text), tt.s.LogValue().String()}
			for i, g := range got {
				if g != tt.want {
					t.Errorf("form %d = %q, want %q", i, g, tt.want)
				}
			}
			if string(js) != tt.wantJS {
				t.Errorf("json = %s, want %s", js, tt.wantJS)
			}
			if tt.s.Reveal() != string(tt.s) {
				t.Errorf("Reveal = %q", tt.s.Reveal())
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // exact; prefix when it ends with "…"
		check   func(*config.File) error
	}{
		{name: "empty file: defaults", yaml: "", check: func(f *config.File) error {
			return errors.Join(want(f.Poll, "@every 2m"), want(len(f.Apps), 0))
		}},
		{name: "full example", yaml: goodYAML, check: func(f *config.File) error {
			return errors.Join(want(f.Poll, "@every 5m"), want(len(f.Apps), 2), want(f.Apps[1].Platform, "MAC_OS"))
		}},
		{name: "platform defaults to IOS", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n", check: func(f *config.File) error {
			return want(f.Apps[0].Platform, "IOS")
		}},
		{name: "time zone defaults to UTC", yaml: "", check: func(f *config.File) error {
			return errors.Join(want(f.TimeZone, "UTC"), want(f.Location.String(), "UTC"))
		}},
		{name: "time zone", yaml: "timezone: Asia/Tokyo\n", check: func(f *config.File) error { return want(f.Location.String(), "Asia/Tokyo") }},
		{name: "bad time zone", yaml: "timezone: Mars/Olympus\n", wantErr: `config: timezone: "Mars/Olympus" is not an IANA time zone name like Asia/Tokyo or UTC`},
		{name: "cron descriptor", yaml: "poll: \"@hourly\"\n", check: func(f *config.File) error { return want(f.Poll, "@hourly") }},
		{name: "five-field cron", yaml: "poll: \"*/5 * * * *\"\n", check: func(f *config.File) error { return want(f.Poll, "*/5 * * * *") }},
		{name: "unknown top-level key", yaml: "poll: \"@every 2m\"\nfoo: 1\n", wantErr: `config: ascbot.yaml line 2: unknown key "foo"`},
		{name: "unknown app key", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n\n    chanel: C02\n", wantErr: `config: ascbot.yaml line 5: unknown key "chanel" (did you mean "channel"?)`},
		{name: "misspelt top-level key", yaml: "approver: [U0AAA]\n", wantErr: `config: ascbot.yaml line 1: unknown key "approver" (did you mean "approvers"?)`},
		{name: "syntax error", yaml: "poll: a\n b: c: d\n", wantErr: "config: ascbot.yaml line 2: mapping values are not allowed in this context"},
		{name: "tab indentation", yaml: "apps:\n  - id: 1\n\tchannel: x\n", wantErr: "config: ascbot.yaml line 2: found a tab character that violates indentation"},
		{name: "secret in a bool field is not echoed", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    two_person_rule: " + webhookSecret + "\n", wantErr: "config: ascbot.yaml line 4: cannot unmarshal !!str into bool"},
		{name: "two documents", yaml: "poll: \"@hourly\"\n---\npoll: \"@daily\"\n", wantErr: "config: ascbot.yaml: more than one YAML document"},
		{name: "bad cron", yaml: "poll: \"@every x\"\n", wantErr: `config: poll: bad cron spec "@every x": …`},
		{name: "bad cron fields", yaml: "poll: \"61 * * * *\"\n", wantErr: `config: poll: bad cron spec "61 * * * *": …`},
		// robfig/cron's parser panics on a time zone with nothing after it.
		{name: "time zone alone", yaml: "poll: \"TZ=UTC\"\n", wantErr: `config: poll: bad cron spec "TZ=UTC": malformed: expected five crontab fields, optionally after TZ=<zone> and a space, or a descriptor such as @every 2m`},
		{name: "cron time zone alone", yaml: "poll: \"CRON_TZ=Asia/Tokyo\"\n", wantErr: `config: poll: bad cron spec "CRON_TZ=Asia/Tokyo": malformed: …`},
		{name: "never fires", yaml: "poll: \"0 0 30 2 *\"\n", wantErr: `config: poll: bad cron spec "0 0 30 2 *": it never fires: its day of month (30) and month (2) never meet`},
		{name: "never fires with a time zone", yaml: "poll: \"TZ=Asia/Tokyo 0 0 31 4,6 *\"\n", wantErr: `config: poll: bad cron spec "TZ=Asia/Tokyo 0 0 31 4,6 *": it never fires: its day of month (31) and month (4,6) never meet`},
		{name: "leap day fires", yaml: "poll: \"0 0 29 2 *\"\n", check: func(f *config.File) error { return want(f.Poll, "0 0 29 2 *") }},
		{name: "bad default approver", yaml: "approvers: [alice]\n", wantErr: `config: approvers[0]: "alice" must be a Slack user (U…/W…) or user group (S…) id`},
		{name: "app without id", yaml: "apps:\n  - channel: C01\n", wantErr: "config: apps[0]: id or bundle_id required"},
		{name: "duplicate id", yaml: "apps:\n  - id: \"123\"\n    channel: C01\n  - id: \"123\"\n    channel: C02\n", wantErr: "config: apps[1]: duplicate app 123 (also apps[0])"},
		{name: "duplicate bundle ignoring case", yaml: "apps:\n  - bundle_id: com.x.App\n    channel: C01\n  - bundle_id: com.x.app\n    channel: C02\n", wantErr: "config: apps[1]: duplicate app com.x.app (also apps[0])"},
		{name: "id with slash", yaml: "apps:\n  - id: \"1/2\"\n    channel: C01\n", wantErr: `config: apps[0].id: "1/2" must be an App Store Connect app id like 1234567890`},
		{name: "bundle with space", yaml: "apps:\n  - bundle_id: \"com.x app\"\n    channel: C01\n", wantErr: `config: apps[0].bundle_id: "com.x app" must be a bundle id like com.example.app`},
		{name: "channel missing", yaml: "apps:\n  - id: \"1\"\n", wantErr: "config: apps[0].channel: missing: every app needs the Slack channel id (like C0123456789) where its review-state changes are posted"},
		{name: "id and bundle id", yaml: "apps:\n  - id: \"1\"\n    bundle_id: com.x.app\n    channel: C01\n", wantErr: "config: apps[0]: set id or bundle_id, not both"},
		{name: "channel by name", yaml: "apps:\n  - id: \"1\"\n    channel: \"#releases\"\n", wantErr: "config: apps[0].channel: must be a Slack channel id like C0123456789"},
		{name: "channel is a user", yaml: "apps:\n  - id: \"1\"\n    channel: U0AAA\n", wantErr: "config: apps[0].channel: must be a Slack channel id like C0123456789"},
		{name: "app approver handle", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    approvers: [U0AAA, \"@bob\"]\n", wantErr: `config: apps[0].approvers[1]: "@bob" must be a Slack user (U…/W…) or user group (S…) id`},
		{name: "app submitter channel id", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    submitters: [C01]\n", wantErr: `config: apps[0].submitters[0]: "C01" must be a Slack user (U…/W…) or user group (S…) id`},
		{name: "app testers channel id", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    testers: [C01]\n", wantErr: `config: apps[0].testers[0]: "C01" must be a Slack user (U…/W…) or user group (S…) id`},
		{name: "app testers ok", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    testers: [S0QA, U0ANA]\n", check: func(f *config.File) error { return want(f.Apps[0].Testers[1], "U0ANA") }},
		{name: "app watcher channel id", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    watchers: [C01]\n", wantErr: `config: apps[0].watchers[0]: "C01" must be a Slack user (U…/W…) or user group (S…) id`},
		{name: "app watchers", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    watchers: [U0AAA, S0OPS]\n", check: func(f *config.File) error { return want(f.Apps[0].Watchers[1], "S0OPS") }},
		{name: "enterprise user ok", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    submitters: [W0ENT]\n", check: func(f *config.File) error { return want(f.Apps[0].Submitters[0], "W0ENT") }},
		{name: "bad platform", yaml: "apps:\n  - id: \"1\"\n    channel: C01\n    platform: ANDROID\n", wantErr: `config: apps[0].platform: "ANDROID" must be IOS, MAC_OS, TV_OS or VISION_OS`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.Parse([]byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if err := tt.check(f); err != nil {
					t.Error(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.wantErr)
			}
			if p, ok := strings.CutSuffix(tt.wantErr, "…"); ok {
				if !strings.HasPrefix(err.Error(), p) || len(err.Error()) == len(p) {
					t.Errorf("error %q, want prefix %q and a cause", err, p)
				}
			} else if err.Error() != tt.wantErr {
				t.Errorf("error\n got %q\nwant %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestLoadFile(t *testing.T) {
	p := writeFile(t, t.TempDir(), "deploy.yaml", goodYAML+"bogus: 1\n")
	_, err := config.LoadFile(p)
	if want := "config: " + p + ` line 15: unknown key "bogus"`; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestAppLookupAndApprovers(t *testing.T) {
	f, err := config.Parse([]byte(goodYAML))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Approvers: f.Approvers, Apps: f.Apps}
	tests := []struct {
		query     string
		found     bool
		wantID    string
		approvers string
	}{
		{"1234567890", true, "1234567890", "[U0AAA S0BBB]"},
		{"com.example.other", true, "", "[S0RELEASE]"},
		{"COM.EXAMPLE.OTHER", true, "", "[S0RELEASE]"},
		{"999", false, "", ""},
		{"", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a, ok := cfg.App(tt.query)
			if ok != tt.found || a.ID != tt.wantID {
				t.Fatalf("App(%q) = %+v, %v", tt.query, a, ok)
			}
			if !ok {
				return
			}
			got := a.EffectiveApprovers(cfg.Approvers)
			if fmt.Sprint(got) != tt.approvers {
				t.Errorf("EffectiveApprovers = %v, want %v", got, tt.approvers)
			}
			got[0] = "MUTATED"
			if fmt.Sprint(a.EffectiveApprovers(cfg.Approvers)) != tt.approvers {
				t.Error("EffectiveApprovers returned a slice aliasing the config")
			}
		})
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[config.Mode]string{config.ModeNormal: "normal", config.ModeSandbox: "sandbox", config.ModeDemo: "demo", config.Mode(9): "Mode(9)"} {
		if m.String() != want {
			t.Errorf("%d: %q, want %q", int(m), m.String(), want)
		}
	}
}

// TestSandboxDefaults: the sandbox keeps its own database and polls as
// often as its review stages move, unless told otherwise.
func TestSandboxDefaults(t *testing.T) {
	dir := t.TempDir()
	withPoll := writeFile(t, dir, "poll.yaml", "poll: \"@every 5m\"\n")
	empty := writeFile(t, dir, "empty.yaml", "apps: []\n")
	tests := []struct {
		name             string
		mode             config.Mode
		env              map[string]string
		wantDB, wantPoll string
	}{
		{"normal", config.ModeNormal, nil, "ascbot.db", config.DefaultPoll},
		{"sandbox", config.ModeSandbox, nil, "ascbot-sandbox.db", "@every 30s"},
		{"sandbox 10s stages", config.ModeSandbox, map[string]string{"ASCBOT_SANDBOX_STAGE": "10s"}, "ascbot-sandbox.db", "@every 5s"},
		{"sandbox 1s stages", config.ModeSandbox, map[string]string{"ASCBOT_SANDBOX_STAGE": "1s"}, "ascbot-sandbox.db", "@every 1s"},
		{"sandbox with its own DB", config.ModeSandbox, map[string]string{"ASCBOT_DB": "/data/x.db"}, "/data/x.db", "@every 30s"},
		{"sandbox with a poll in the file", config.ModeSandbox, map[string]string{"ASCBOT_CONFIG": withPoll}, "ascbot-sandbox.db", "@every 5m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv(t)
			env["ASCBOT_CONFIG"] = empty
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := config.Load(getenv(env), tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DBPath != tt.wantDB || cfg.Poll != tt.wantPoll {
				t.Errorf("db %q poll %q, want %q and %q", cfg.DBPath, cfg.Poll, tt.wantDB, tt.wantPoll)
			}
		})
	}
}

func TestErrorsListEveryProblem(t *testing.T) {
	env := baseEnv(t)
	env["SLACK_BOT_TOKEN"] = ""
	env["ASCBOT_LOG_LEVEL"] = "loud"
	_, err := config.Load(getenv(env), config.ModeNormal)
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("err = %v, want two problems", err)
	}
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Field != "SLACK_BOT_TOKEN" {
		t.Errorf("errors.As finds %+v, want the first problem", ce)
	}
}

func TestNoApprovers(t *testing.T) {
	tests := []struct {
		yaml string
		want []string
	}{
		{"", []string{"*"}},
		{"approvers: [S0REL]\n", nil},
		{"apps:\n  - id: \"1\"\n    channel: C01\n  - bundle_id: com.x\n    channel: C01\n    approvers: [U0A]\n  - bundle_id: com.y\n    channel: C01\n", []string{"1", "com.y"}},
	}
	for _, tt := range tests {
		f, err := config.Parse([]byte(tt.yaml))
		if err != nil {
			t.Fatal(err)
		}
		c := &config.Config{Approvers: f.Approvers, Apps: f.Apps}
		if got := c.NoApprovers(); !slices.Equal(got, tt.want) {
			t.Errorf("%q: NoApprovers = %v, want %v", tt.yaml, got, tt.want)
		}
	}
}
