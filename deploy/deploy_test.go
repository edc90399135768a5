package deploy

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ascbot/ascbot/internal/config"
	"github.com/ascbot/ascbot/internal/slackui"
)

// Files under test, relative to this package's directory.
const (
	manifestFile  = "slack-app-manifest.yaml"
	dockerFile    = "Dockerfile"
	unitFile      = "ascbot.service"
	envExample    = "ascbot.env.example"
	configExample = "ascbot.example.yaml"
	k8sDir        = "kubernetes"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return data
}

// ---------------------------------------------------------------------------
// Slack app manifest

// slackManifest models every field slack-app-manifest.yaml uses; it is decoded
// with KnownFields so a misspelt key fails instead of being ignored.
type slackManifest struct {
	Metadata struct {
		MajorVersion int `yaml:"major_version"`
		MinorVersion int `yaml:"minor_version"`
	} `yaml:"_metadata"`
	DisplayInformation struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		BackgroundColor string `yaml:"background_color"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			HomeTabEnabled             bool `yaml:"home_tab_enabled"`
			MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		BotUser *struct {
			DisplayName  string `yaml:"display_name"`
			AlwaysOnline bool   `yaml:"always_online"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape *bool  `yaml:"should_escape"`
			URL          string `yaml:"url"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding yaml: %w", err)
	}
	return nil
}

// diffSets returns the elements of want missing from got and the elements of
// got not in want, each sorted.
func diffSets(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}

func TestManifest(t *testing.T) {
	var m slackManifest
	if err := decodeStrict(readFile(t, manifestFile), &m); err != nil {
		t.Fatalf("%s: %v", manifestFile, err)
	}

	t.Run("bot scopes equal slackui.BotScopes", func(t *testing.T) {
		want := slackui.BotScopes()
		if len(want) == 0 {
			t.Fatal("slackui.BotScopes() is empty")
		}
		missing, extra := diffSets(want, m.OAuthConfig.Scopes.Bot)
		if len(missing) > 0 {
			t.Errorf("manifest lacks scopes the code needs: %v", missing)
		}
		if len(extra) > 0 {
			t.Errorf("manifest requests scopes the code does not need: %v", extra)
		}
		seen := map[string]bool{}
		for _, s := range m.OAuthConfig.Scopes.Bot {
			if seen[s] {
				t.Errorf("scope %q listed twice", s)
			}
			seen[s] = true
		}
		if len(m.OAuthConfig.Scopes.User) > 0 {
			t.Errorf("user scopes %v requested; the bot acts only with its bot token", m.OAuthConfig.Scopes.User)
		}
	})

	checks := []struct {
		name string
		ok   bool
		why  string
	}{
		{"metadata major version", m.Metadata.MajorVersion == 1, "_metadata.major_version must be 1"},
		{"display name", m.DisplayInformation.Name == "ascbot", "display_information.name must be ascbot"},
		{"description", m.DisplayInformation.Description != "" && len([]rune(m.DisplayInformation.Description)) <= 140,
			"display_information.description must be 1..140 characters"},
		{"bot user", m.Features.BotUser != nil && m.Features.BotUser.DisplayName != "" && len([]rune(m.Features.BotUser.DisplayName)) <= 80,
			"features.bot_user.display_name must be 1..80 characters (app_home_opened needs a bot user)"},
		{"socket mode", m.Settings.SocketModeEnabled, "settings.socket_mode_enabled must be true"},
		{"interactivity", m.Settings.Interactivity.IsEnabled, "settings.interactivity.is_enabled must be true"},
		{"no interactivity url", m.Settings.Interactivity.RequestURL == "", "socket mode needs no interactivity.request_url"},
		{"no events url", m.Settings.EventSubscriptions.RequestURL == "", "socket mode needs no event_subscriptions.request_url"},
		{"home tab", m.Features.AppHome.HomeTabEnabled, "features.app_home.home_tab_enabled must be true (views.publish fails with not_enabled)"},
		{"messages tab off", !m.Features.AppHome.MessagesTabEnabled, "features.app_home.messages_tab_enabled must be false"},
		{"app_home_opened", slices.Contains(m.Settings.EventSubscriptions.BotEvents, "app_home_opened"),
			"settings.event_subscriptions.bot_events must include app_home_opened"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Error(c.why)
			}
		})
	}

	t.Run("slash command /asc", func(t *testing.T) {
		if n := len(m.Features.SlashCommands); n != 1 {
			t.Fatalf("got %d slash commands, want exactly /asc", n)
		}
		c := m.Features.SlashCommands[0]
		if c.Command != "/asc" {
			t.Errorf("command = %q, want /asc", c.Command)
		}
		if c.Description == "" || len([]rune(c.Description)) > 2000 {
			t.Errorf("description must be 1..2000 characters, got %d", len([]rune(c.Description)))
		}
		if !strings.HasPrefix(c.UsageHint, "help") || len([]rune(c.UsageHint)) > 1000 {
			t.Errorf("usage_hint = %q, want the subcommand list (≤1000 characters) starting with help", c.UsageHint)
		}
		for _, sub := range []string{"apps", "status <app>", "submit <app> <version>", "release <app>"} {
			if !strings.Contains(c.UsageHint, sub) {
				t.Errorf("usage_hint lacks %q", sub)
			}
		}
		if c.ShouldEscape == nil || !*c.ShouldEscape {
			t.Error("should_escape must be present and true (/asc watch reads <#C…|name> channel mentions)")
		}
		if c.URL != "" {
			t.Error("socket mode needs no slash command url")
		}
	})

	t.Run("every scope has a comment", func(t *testing.T) {
		bare, err := uncommentedScopes(readFile(t, manifestFile))
		if err != nil {
			t.Fatal(err)
		}
		if len(bare) > 0 {
			t.Errorf("scopes without a '# why' comment on their line: %v", bare)
		}
	})
}

// uncommentedScopes returns the bot scopes in a manifest whose line carries
// no "# …" comment saying why the bot needs them.
func uncommentedScopes(manifest []byte) ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(manifest, &doc); err != nil {
		return nil, fmt.Errorf("parsing manifest: %w", err)
	}
	node := &doc
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	for _, key := range []string{"oauth_config", "scopes", "bot"} {
		node = mappingValue(node, key)
		if node == nil {
			return nil, fmt.Errorf("finding oauth_config.scopes.bot: no %q key", key)
		}
	}
	if node.Kind != yaml.SequenceNode {
		return nil, errors.New("finding oauth_config.scopes.bot: not a list")
	}
	var bare []string
	for _, item := range node.Content {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(item.LineComment), "#")) == "" {
			bare = append(bare, item.Value)
		}
	}
	return bare, nil
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func TestUncommentedScopes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{"all commented", "oauth_config:\n  scopes:\n    bot:\n      - commands # /asc\n      - chat:write # cards\n", nil, false},
		{"one bare", "oauth_config:\n  scopes:\n    bot:\n      - commands # /asc\n      - chat:write\n", []string{"chat:write"}, false},
		{"empty comment", "oauth_config:\n  scopes:\n    bot:\n      - commands #\n", []string{"commands"}, false},
		{"comment on the line above only", "oauth_config:\n  scopes:\n    bot:\n      # posts cards\n      - chat:write\n", []string{"chat:write"}, false},
		{"flow list", "oauth_config:\n  scopes:\n    bot: [commands, chat:write]\n", []string{"commands", "chat:write"}, false},
		{"no bot scopes", "oauth_config:\n  scopes: {}\n", nil, true},
		{"not yaml", "oauth_config: [", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := uncommentedScopes([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Configuration: the example file and the shared test fixtures

// testKeyPEM returns a fresh PKCS#8 PEM P-256 key, the format of Apple's .p8.
func testKeyPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshalling key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatalf("creating %s: %v", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestExampleConfigLoads(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ascbot.yaml")
	keyPath := filepath.Join(dir, "asc.p8")
	writeFile(t, cfgPath, readFile(t, configExample))
	writeFile(t, keyPath, testKeyPEM(t))

	env := map[string]string{
		"ASCBOT_CONFIG":        cfgPath,
		"SLACK_APP_TOKEN":      "xapp-1-A0TEST-1-test",
		"SLACK_BOT_TOKEN":      "xoxb-1-test",
		"ASC_KEY_ID":           "TESTKEY123",
		"ASC_ISSUER_ID":        "57246542-96fe-1a63-e053-0824d011072a",
		"ASC_PRIVATE_KEY_PATH": keyPath,
		"ASCBOT_DB":            filepath.Join(dir, "ascbot.db"),
	}
	for _, mode := range []config.Mode{config.ModeNormal, config.ModeDemo} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg, err := config.Load(mapEnv(env), mode)
			if err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			if cfg.ConfigPath != cfgPath {
				t.Errorf("ConfigPath = %q, want %q", cfg.ConfigPath, cfgPath)
			}
			if len(cfg.Apps) != 2 {
				t.Fatalf("got %d apps, want 2", len(cfg.Apps))
			}
			byID, byBundle := cfg.Apps[0], cfg.Apps[1]
			if byID.ID == "" || byID.BundleID != "" {
				t.Errorf("apps[0] should be named by id only, got id=%q bundle_id=%q", byID.ID, byID.BundleID)
			}
			if byBundle.BundleID == "" || byBundle.ID != "" {
				t.Errorf("apps[1] should be named by bundle_id only, got id=%q bundle_id=%q", byBundle.ID, byBundle.BundleID)
			}
			if _, ok := cfg.App(byBundle.BundleID); !ok {
				t.Errorf("App(%q) not found", byBundle.BundleID)
			}
			if len(cfg.Approvers) == 0 {
				t.Error("the example should show top-level approvers")
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Dockerfile

// dockerInstruction is one Dockerfile instruction with continuation lines
// joined and comment lines removed.
type dockerInstruction struct {
	Line int    // 1-based line of the keyword
	Cmd  string // upper-cased keyword: FROM, RUN, …
	Args string
}

func parseDockerfile(data []byte) ([]dockerInstruction, error) {
	var out []dockerInstruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue // comments may also sit inside a continued instruction
		}
		if cur.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading dockerfile: %w", err)
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("dockerfile line %d: continuation runs off the end", start)
	}
	return out, nil
}

// shellWords splits s into words as a POSIX shell would for simple commands:
// whitespace separates, '…' and "…" quote, backslash escapes. It does not
// expand anything.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 < len(s) {
				i++
				w.WriteByte(s[i])
			}
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/x ./cmd/bot`,
			[]string{"CGO_ENABLED=0", "go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/x", "./cmd/bot"}},
		{`a 'b c' "d \"e\"" f\ g`, []string{"a", "b c", `d "e"`, "f g"}},
		{`  `, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := shellWords(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`'open`, `"open`} {
		if _, err := shellWords(bad); err == nil {
			t.Errorf("shellWords(%q): want an error", bad)
		}
	}
}

// goBuildCmd is the go build command found in a Dockerfile RUN line.
type goBuildCmd struct {
	Env    []string // KEY=VALUE assignments before "go"
	Args   []string // everything after "go build"
	Output string   // the -o value
	Line   int
}

var envAssignRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// findGoBuild returns the single "go build" RUN instruction of the stages.
func findGoBuild(ins []dockerInstruction) (goBuildCmd, error) {
	var found []goBuildCmd
	for _, in := range ins {
		if in.Cmd != "RUN" || !strings.Contains(in.Args, "go build") {
			continue
		}
		words, err := shellWords(in.Args)
		if err != nil {
			return goBuildCmd{}, fmt.Errorf("dockerfile line %d: %w", in.Line, err)
		}
		for len(words) > 0 && strings.HasPrefix(words[0], "--") { // RUN --mount=…
			words = words[1:]
		}
		var b goBuildCmd
		b.Line = in.Line
		for len(words) > 0 && envAssignRe.MatchString(words[0]) {
			b.Env = append(b.Env, words[0])
			words = words[1:]
		}
		if len(words) < 2 || words[0] != "go" || words[1] != "build" {
			return goBuildCmd{}, fmt.Errorf("dockerfile line %d: want [ENV=… ]go build …, one command per RUN", in.Line)
		}
		b.Args = words[2:]
		for i, a := range b.Args {
			if a == "&&" || a == ";" || a == "|" || strings.HasSuffix(a, ";") {
				return goBuildCmd{}, fmt.Errorf("dockerfile line %d: keep go build alone on its RUN line", in.Line)
			}
			if a == "-o" && i+1 < len(b.Args) {
				b.Output = b.Args[i+1]
			} else if v, ok := strings.CutPrefix(a, "-o="); ok {
				b.Output = v
			}
		}
		found = append(found, b)
	}
	if len(found) != 1 {
		return goBuildCmd{}, fmt.Errorf("want exactly one RUN … go build, found %d", len(found))
	}
	return found[0], nil
}

// stages splits instructions at FROM.
func stages(ins []dockerInstruction) [][]dockerInstruction {
	var out [][]dockerInstruction
	for _, in := range ins {
		if in.Cmd == "FROM" {
			out = append(out, nil)
		}
		if len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], in)
		}
	}
	return out
}

func loadDockerfile(t *testing.T) ([]dockerInstruction, goBuildCmd) {
	t.Helper()
	ins, err := parseDockerfile(readFile(t, dockerFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := findGoBuild(ins)
	if err != nil {
		t.Fatal(err)
	}
	return ins, b
}

func TestDockerfile(t *testing.T) {
	ins, build := loadDockerfile(t)
	st := stages(ins)
	if len(st) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(st))
	}

	t.Run("build command", func(t *testing.T) {
		if !slices.Contains(build.Env, "CGO_ENABLED=0") {
			t.Errorf("go build env %v lacks CGO_ENABLED=0", build.Env)
		}
		if !slices.Contains(build.Args, "-trimpath") {
			t.Error("go build lacks -trimpath")
		}
		if !slices.Contains(build.Args, "-ldflags=-s -w") {
			t.Errorf("go build args %q lack -ldflags=\"-s -w\"", build.Args)
		}
		if last := build.Args[len(build.Args)-1]; last != "./cmd/bot" {
			t.Errorf("go build builds %q, want ./cmd/bot", last)
		}
		if build.Output == "" {
			t.Error("go build has no -o")
		}
		from := strings.Fields(st[0][0].Args)
		if !slices.ContainsFunc(from, func(s string) bool { return strings.HasPrefix(s, "golang:1.26") }) {
			t.Errorf("builder stage FROM %q, want golang:1.26", st[0][0].Args)
		}
	})

	final := st[len(st)-1]
	var (
		user, entry []string
		envs        = map[string]string{}
		volumes     []string
		copies      []string
	)
	for _, in := range final {
		switch in.Cmd {
		case "USER":
			user = []string{in.Args}
		case "ENTRYPOINT":
			entry = nil
			if err := yaml.Unmarshal([]byte(in.Args), &entry); err != nil || len(entry) == 0 {
				t.Errorf("line %d: ENTRYPOINT must be exec form [\"…\"], got %s", in.Line, in.Args)
			}
		case "ENV":
			words, err := shellWords(in.Args)
			if err != nil {
				t.Fatalf("line %d: %v", in.Line, err)
			}
			for _, w := range words {
				if k, v, ok := strings.Cut(w, "="); ok {
					envs[k] = v
				}
			}
		case "VOLUME":
			volumes = append(volumes, strings.Fields(strings.Trim(in.Args, "[]\","))...)
		case "COPY":
			copies = append(copies, in.Args)
		}
	}
	finalFrom := final[0].Args
	checks := []struct {
		name string
		ok   bool
		why  string
	}{
		{"final image", strings.HasPrefix(finalFrom, "gcr.io/distroless/static") || finalFrom == "scratch",
			"final stage must be distroless static or scratch, got " + finalFrom},
		{"non-root user", len(user) == 1 && user[0] != "root" && !strings.HasPrefix(user[0], "0") && user[0] != "",
			fmt.Sprintf("final stage USER must be a non-root user, got %v", user)},
		{"db env", envs["ASCBOT_DB"] == "/data/ascbot.db", "final stage must set ENV ASCBOT_DB=/data/ascbot.db"},
		{"data volume", slices.Contains(volumes, "/data"), "final stage must declare VOLUME /data"},
		{"entrypoint runs the built binary", len(entry) > 0 && slices.ContainsFunc(copies, func(c string) bool {
			f := strings.Fields(c)
			return len(f) >= 2 && f[len(f)-2] == build.Output && f[len(f)-1] == entry[0]
		}), fmt.Sprintf("ENTRYPOINT %v must be where the final stage COPYs %s", entry, build.Output)},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Error(c.why)
			}
		})
	}
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// staticProblems returns why the ELF file at path is not a static
// executable: a PT_INTERP header (it needs the dynamic loader) and every
// DT_NEEDED shared library. An empty result means static.
func staticProblems(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening elf %s: %w", path, err)
	}
	defer f.Close()
	var problems []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(io.LimitReader(p.Open(), 256))
			problems = append(problems, "PT_INTERP "+strings.TrimRight(string(interp), "\x00"))
		}
	}
	needed, err := f.DynString(elf.DT_NEEDED)
	if err != nil {
		return nil, fmt.Errorf("reading DT_NEEDED of %s: %w", path, err)
	}
	for _, lib := range needed {
		problems = append(problems, "DT_NEEDED "+lib)
	}
	return problems, nil
}

func TestStaticProblemsDetectsDynamicBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs a dynamically linked ELF from the host")
	}
	const sh = "/bin/sh" // dynamically linked on every mainstream distribution
	if _, err := os.Stat(sh); err != nil {
		t.Skipf("no %s: %v", sh, err)
	}
	problems, err := staticProblems(sh)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) == 0 {
		t.Errorf("%s reported static; the check would miss a dynamic binary", sh)
	}
}

// TestDockerBuildIsStatic runs the Dockerfile's go build line (its env
// assignments and flags, parsed from the file) for linux/GOARCH and checks
// that the binary is statically linked, as the distroless/static image needs.
func TestDockerBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ./cmd/bot; skipped with -short")
	}
	_, build := loadDockerfile(t)
	out := filepath.Join(t.TempDir(), "ascbot")
	args := slices.Clone(build.Args)
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			args[i+1] = out
		} else if strings.HasPrefix(a, "-o=") {
			args[i] = "-o=" + out
		}
	}
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"build"}, args...)...)
	cmd.Dir = moduleRoot(t)
	// The image is linux; the Dockerfile's own env (CGO_ENABLED=0) comes last
	// so it wins over anything inherited.
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH)
	cmd.Env = append(cmd.Env, build.Env...)
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s (Dockerfile line %d): %v\n%s", strings.Join(args, " "), build.Line, err, output)
	}
	problems, err := staticProblems(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("binary built as in the Dockerfile is not static: %v", problems)
	}
}

// ---------------------------------------------------------------------------
// systemd unit

// systemdUnit maps section → key → values in file order (keys may repeat).
type systemdUnit map[string]map[string][]string

func parseUnit(data []byte) (systemdUnit, error) {
	u := systemdUnit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
		default:
			if strings.HasSuffix(line, `\`) {
				return nil, fmt.Errorf("unit line %d: continuation lines are not supported here", n)
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("unit line %d: want Key=value inside a [Section]", n)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading unit: %w", err)
	}
	return u, nil
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true", "1", "on":
		return true
	}
	return false
}

func TestSystemdUnit(t *testing.T) {
	u, err := parseUnit(readFile(t, unitFile))
	if err != nil {
		t.Fatal(err)
	}
	svc := u["Service"]
	if svc == nil {
		t.Fatal("no [Service] section")
	}
	last := func(k string) (string, bool) {
		vs := svc[k]
		if len(vs) == 0 {
			return "", false
		}
		return vs[len(vs)-1], true
	}

	for _, k := range []string{
		"NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices",
		"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
		"ProtectControlGroups", "RestrictNamespaces", "LockPersonality",
		"MemoryDenyWriteExecute", "RestrictSUIDSGID", "RestrictRealtime",
	} {
		t.Run(k, func(t *testing.T) {
			if v, ok := last(k); !ok || !isTrue(v) {
				t.Errorf("%s=%q, want yes", k, v)
			}
		})
	}
	exact := []struct{ key, want string }{
		{"ProtectSystem", "strict"},
		{"CapabilityBoundingSet", ""},
		{"Restart", "on-failure"},
		{"RestartPreventExitStatus", "2"}, // cmd/bot's exit status for a configuration error
		{"StateDirectory", "ascbot"},
		{"EnvironmentFile", "/etc/ascbot/env"},
	}
	for _, e := range exact {
		t.Run(e.key, func(t *testing.T) {
			if v, ok := last(e.key); !ok || v != e.want {
				t.Errorf("%s=%q (set: %v), want %q", e.key, v, ok, e.want)
			}
		})
	}
	t.Run("RestrictAddressFamilies", func(t *testing.T) {
		v, _ := last("RestrictAddressFamilies")
		missing, extra := diffSets([]string{"AF_INET", "AF_INET6", "AF_UNIX"}, strings.Fields(v))
		if len(missing)+len(extra) > 0 {
			t.Errorf("RestrictAddressFamilies=%q: missing %v, extra %v", v, missing, extra)
		}
	})
	t.Run("SystemCallFilter", func(t *testing.T) {
		if vs := svc["SystemCallFilter"]; len(vs) == 0 || strings.HasPrefix(vs[0], "~") || !slices.Contains(strings.Fields(vs[0]), "@system-service") {
			t.Errorf("SystemCallFilter=%v, want an allow list starting with @system-service", vs)
		}
	})
	t.Run("user", func(t *testing.T) {
		dyn, _ := last("DynamicUser")
		user, _ := last("User")
		if !isTrue(dyn) && (user == "" || user == "root" || user == "0") {
			t.Errorf("want DynamicUser=yes or a dedicated User=, got DynamicUser=%q User=%q", dyn, user)
		}
	})
	t.Run("key credential", func(t *testing.T) {
		if !slices.ContainsFunc(svc["LoadCredential"], func(v string) bool { return strings.HasPrefix(v, "asc.p8:") }) {
			t.Errorf("LoadCredential=%v lacks asc.p8:…", svc["LoadCredential"])
		}
		if !slices.Contains(svc["Environment"], "ASC_PRIVATE_KEY_PATH=%d/asc.p8") {
			t.Errorf("Environment=%v lacks ASC_PRIVATE_KEY_PATH=%%d/asc.p8", svc["Environment"])
		}
	})
	t.Run("start limit", func(t *testing.T) {
		// Restart=on-failure must not hammer Slack forever with a revoked token.
		if len(u["Unit"]["StartLimitBurst"]) == 0 {
			t.Error("[Unit] lacks StartLimitBurst")
		}
	})
}

// parseEnvFile reads systemd EnvironmentFile= syntax: KEY=value lines,
// # comments, optional surrounding quotes.
func parseEnvFile(data []byte) (map[string]string, error) {
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !envAssignRe.MatchString(k+"=") {
			return nil, fmt.Errorf("env file line %d: want KEY=value", n)
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		env[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading env file: %w", err)
	}
	return env, nil
}

// TestSystemdUnitConfigLoads assembles the environment the unit gives the
// bot (Environment= lines with %d expanded, then the example EnvironmentFile,
// which wins in systemd) and the credentials it loads (the example config and
// a key), and checks that config.Load accepts it in normal mode.
func TestSystemdUnitConfigLoads(t *testing.T) {
	u, err := parseUnit(readFile(t, unitFile))
	if err != nil {
		t.Fatal(err)
	}
	svc := u["Service"]
	creds := t.TempDir()
	sources := map[string][]byte{
		"/etc/ascbot/asc.p8":      testKeyPEM(t),
		"/etc/ascbot/ascbot.yaml": readFile(t, configExample),
	}
	for _, lc := range svc["LoadCredential"] {
		id, src, ok := strings.Cut(lc, ":")
		if !ok {
			t.Fatalf("LoadCredential=%s: want ID:PATH", lc)
		}
		data, ok := sources[src]
		if !ok {
			t.Fatalf("LoadCredential=%s: this test has no stand-in for %s", lc, src)
		}
		writeFile(t, filepath.Join(creds, id), data)
	}

	env := map[string]string{}
	for _, line := range svc["Environment"] {
		words, err := shellWords(line)
		if err != nil {
			t.Fatalf("Environment=%s: %v", line, err)
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			if !ok {
				t.Fatalf("Environment=%s: want KEY=value", line)
			}
			env[k] = strings.ReplaceAll(v, "%d", creds)
		}
	}
	if got := svc["EnvironmentFile"]; !slices.Equal(got, []string{"/etc/ascbot/env"}) {
		t.Fatalf("EnvironmentFile=%v; this test stands ascbot.env.example in for /etc/ascbot/env", got)
	}
	fileEnv, err := parseEnvFile(readFile(t, envExample))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range fileEnv {
		env[k] = v
	}
	// The example is copied into containers too, where a loopback address
	// cannot be reached from outside: it listens on every interface.
	if addr := fileEnv["ASCBOT_HTTP_ADDR"]; !strings.HasPrefix(addr, ":") {
		t.Errorf("%s: ASCBOT_HTTP_ADDR=%q, want :port", envExample, addr)
	}

	cfg, err := config.Load(mapEnv(env), config.ModeNormal)
	if err != nil {
		t.Fatalf("config.Load with the unit's environment: %v", err)
	}
	state := "/var/lib/" + svc["StateDirectory"][0] + "/"
	if !strings.HasPrefix(cfg.DBPath, state) {
		t.Errorf("DBPath = %q, want it inside the StateDirectory %s (the only writable path)", cfg.DBPath, state)
	}
	if want := filepath.Join(creds, "asc.p8"); cfg.ASC.PrivateKeyPath != want {
		t.Errorf("PrivateKeyPath = %q, want the credential %q", cfg.ASC.PrivateKeyPath, want)
	}
	if want := filepath.Join(creds, "ascbot.yaml"); cfg.ConfigPath != want {
		t.Errorf("ConfigPath = %q, want the credential %q", cfg.ConfigPath, want)
	}
	if len(cfg.Apps) != 2 {
		t.Errorf("got %d apps from the example config, want 2", len(cfg.Apps))
	}
}

// ---------------------------------------------------------------------------
// Kubernetes

type k8sDoc struct {
	File string
	Kind string
	Name string
	Data []byte // the document re-encoded on its own
}

// loadK8s parses every YAML document under kubernetes/.
func loadK8s(t *testing.T) []k8sDoc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no yaml files in %s (%v)", k8sDir, err)
	}
	var docs []k8sDoc
	for _, f := range files {
		dec := yaml.NewDecoder(bytes.NewReader(readFile(t, f)))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			var head struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string `yaml:"kind"`
				Metadata   struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
			}
			if err := n.Decode(&head); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			if head.APIVersion == "" || head.Kind == "" {
				t.Fatalf("%s document %d: missing apiVersion or kind", f, i)
			}
			if head.Kind != "Kustomization" && head.Metadata.Name == "" {
				t.Fatalf("%s document %d (%s): missing metadata.name", f, i, head.Kind)
			}
			data, err := yaml.Marshal(&n)
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			docs = append(docs, k8sDoc{File: f, Kind: head.Kind, Name: head.Metadata.Name, Data: data})
		}
	}
	return docs
}

func findK8s(t *testing.T, docs []k8sDoc, kind string, v any) k8sDoc {
	t.Helper()
	var hits []k8sDoc
	for _, d := range docs {
		if d.Kind == kind {
			hits = append(hits, d)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("want exactly one %s, found %d", kind, len(hits))
	}
	if err := yaml.Unmarshal(hits[0].Data, v); err != nil {
		t.Fatalf("%s %s: %v", hits[0].File, kind, err)
	}
	return hits[0]
}

type keyPath struct {
	Key  string `yaml:"key"`
	Path string `yaml:"path"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a port name or number, as text
	} `yaml:"httpGet"`
}

type k8sContainer struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe   *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe  *k8sProbe `yaml:"readinessProbe"`
	SecurityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
			Add  []string `yaml:"add"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type k8sStatefulSet struct {
	Spec struct {
		Replicas            *int   `yaml:"replicas"`
		ServiceName         string `yaml:"serviceName"`
		PodManagementPolicy string `yaml:"podManagementPolicy"`
		UpdateStrategy      struct {
			Type string `yaml:"type"`
		} `yaml:"updateStrategy"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				SecurityContext struct {
					RunAsNonRoot *bool `yaml:"runAsNonRoot"`
					FSGroup      *int  `yaml:"fsGroup"`
				} `yaml:"securityContext"`
				Containers []k8sContainer `yaml:"containers"`
				Volumes    []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name  string    `yaml:"name"`
						Items []keyPath `yaml:"items"`
					} `yaml:"configMap"`
					Secret *struct {
						SecretName string    `yaml:"secretName"`
						Items      []keyPath `yaml:"items"`
					} `yaml:"secret"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Spec struct {
				AccessModes []string `yaml:"accessModes"`
			} `yaml:"spec"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type k8sSecret struct {
	StringData map[string]string `yaml:"stringData"`
}

type k8sConfigMap struct {
	Data map[string]string `yaml:"data"`
}

type k8sService struct {
	Spec struct {
		Type      string            `yaml:"type"`
		ClusterIP string            `yaml:"clusterIP"`
		Selector  map[string]string `yaml:"selector"`
		Ports     []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

// k8sBundle is every object of kubernetes/, decoded.
type k8sBundle struct {
	sts       k8sStatefulSet
	ctr       k8sContainer
	secret    k8sSecret
	secretDoc k8sDoc
	cm        k8sConfigMap
	cmDoc     k8sDoc
	svc       k8sService
	svcDoc    k8sDoc
}

func loadBundle(t *testing.T) k8sBundle {
	t.Helper()
	docs := loadK8s(t)
	var b k8sBundle
	findK8s(t, docs, "StatefulSet", &b.sts)
	b.secretDoc = findK8s(t, docs, "Secret", &b.secret)
	b.cmDoc = findK8s(t, docs, "ConfigMap", &b.cm)
	b.svcDoc = findK8s(t, docs, "Service", &b.svc)
	for _, d := range docs {
		if d.Kind == "Deployment" || d.Kind == "DaemonSet" || d.Kind == "ReplicaSet" {
			t.Fatalf("%s: a %s could run a second writer of the bbolt file", d.File, d.Kind)
		}
	}
	if n := len(b.sts.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("want one container in the StatefulSet, got %d", n)
	}
	b.ctr = b.sts.Spec.Template.Spec.Containers[0]
	return b
}

func (c k8sContainer) env(name string) (value string, fromSecret bool, ok bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil, true
		}
	}
	return "", false, false
}

func (c k8sContainer) mountPath(volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

// portNumber resolves a probe or Service target port (a name or a number)
// against the container's ports.
func (c k8sContainer) portNumber(p string) int {
	if n, err := strconv.Atoi(p); err == nil {
		return n
	}
	for _, cp := range c.Ports {
		if cp.Name == p {
			return cp.ContainerPort
		}
	}
	return 0
}

func TestKubernetes(t *testing.T) {
	b := loadBundle(t)
	s := b.sts.Spec
	pod := s.Template.Spec
	c := b.ctr

	t.Run("single replica", func(t *testing.T) {
		switch {
		case s.Replicas == nil:
			t.Error("replicas unset, want exactly 1 (bbolt is single-writer)")
		case *s.Replicas != 1:
			t.Errorf("replicas = %d, want exactly 1 (bbolt is single-writer)", *s.Replicas)
		}
		if s.PodManagementPolicy != "OrderedReady" {
			t.Errorf("podManagementPolicy = %q, want OrderedReady", s.PodManagementPolicy)
		}
		if s.UpdateStrategy.Type != "RollingUpdate" && s.UpdateStrategy.Type != "OnDelete" {
			t.Errorf("updateStrategy.type = %q", s.UpdateStrategy.Type)
		}
	})
	t.Run("data volume", func(t *testing.T) {
		var found bool
		for _, vct := range s.VolumeClaimTemplates {
			if c.mountPath(vct.Metadata.Name) == "/data" {
				found = true
				if !slices.Contains(vct.Spec.AccessModes, "ReadWriteOnce") && !slices.Contains(vct.Spec.AccessModes, "ReadWriteOncePod") {
					t.Errorf("volumeClaimTemplate %s accessModes %v, want ReadWriteOnce(Pod)", vct.Metadata.Name, vct.Spec.AccessModes)
				}
			}
		}
		if !found {
			t.Error("no volumeClaimTemplate mounted at /data")
		}
		if db, _, _ := c.env("ASCBOT_DB"); !strings.HasPrefix(db, "/data/") {
			t.Errorf("ASCBOT_DB = %q, want a file under /data", db)
		}
	})
	t.Run("security context", func(t *testing.T) {
		sc := c.SecurityContext
		if !(pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot) && !(sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) {
			t.Error("runAsNonRoot is not true")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("capabilities drop %v add %v, want drop [ALL] and nothing added", sc.Capabilities.Drop, sc.Capabilities.Add)
		}
		if pod.SecurityContext.FSGroup == nil {
			t.Error("no fsGroup: the non-root user may not be able to write /data")
		}
	})
	t.Run("secrets come from the Secret", func(t *testing.T) {
		for _, name := range []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ASC_KEY_ID", "ASC_ISSUER_ID"} {
			if _, fromSecret, ok := c.env(name); !ok || !fromSecret {
				t.Errorf("%s must come from a secretKeyRef", name)
			}
			if _, ok := b.secret.StringData[name]; !ok {
				t.Errorf("%s: no %s placeholder in stringData", b.secretDoc.File, name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			if ref.Name != b.secretDoc.Name {
				t.Errorf("%s reads Secret %q, want %q", e.Name, ref.Name, b.secretDoc.Name)
			}
			if _, ok := b.secret.StringData[ref.Key]; !ok {
				t.Errorf("%s reads key %q missing from %s", e.Name, ref.Key, b.secretDoc.File)
			}
		}
		if _, ok := b.secret.StringData["asc.p8"]; !ok {
			t.Errorf("%s lacks asc.p8", b.secretDoc.File)
		}
	})
	t.Run("mounted files match the env paths", func(t *testing.T) {
		files := podFiles(t, b)
		for _, name := range []string{"ASC_PRIVATE_KEY_PATH", "ASCBOT_CONFIG"} {
			v, _, ok := c.env(name)
			if !ok {
				t.Errorf("%s not set", name)
				continue
			}
			if _, ok := files[v]; !ok {
				t.Errorf("%s=%q but no volume puts a file there (have %v)", name, v, slices.Sorted(maps.Keys(files)))
			}
		}
	})
	t.Run("probes and ports", func(t *testing.T) {
		addr, _, _ := c.env("ASCBOT_HTTP_ADDR")
		_, portText, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("ASCBOT_HTTP_ADDR=%q: %v", addr, err)
		}
		port, _ := strconv.Atoi(portText)
		if port != 8080 {
			t.Errorf("ASCBOT_HTTP_ADDR port = %d, want 8080", port)
		}
		// Liveness asks only what a restart mends (/livez); readiness also
		// reports failing App Store Connect polls (/healthz).
		for name, want := range map[string]struct {
			p    *k8sProbe
			path string
		}{
			"liveness":  {c.LivenessProbe, "/livez"},
			"readiness": {c.ReadinessProbe, "/healthz"},
		} {
			p := want.p
			if p == nil || p.HTTPGet == nil {
				t.Errorf("no %s httpGet probe", name)
				continue
			}
			if p.HTTPGet.Path != want.path || c.portNumber(p.HTTPGet.Port) != port {
				t.Errorf("%s probe %s on port %s, want %s on %d", name, p.HTTPGet.Path, p.HTTPGet.Port, want.path, port)
			}
		}
		if b.svc.Spec.Type != "" && b.svc.Spec.Type != "ClusterIP" {
			t.Errorf("Service type %q, want ClusterIP", b.svc.Spec.Type)
		}
		if b.svc.Spec.ClusterIP != "None" {
			t.Errorf("Service clusterIP %q, want None: the StatefulSet's governing service is headless", b.svc.Spec.ClusterIP)
		}
		if len(b.svc.Spec.Ports) == 0 || c.portNumber(b.svc.Spec.Ports[0].TargetPort) != port {
			t.Errorf("Service ports %+v do not reach container port %d", b.svc.Spec.Ports, port)
		}
		for k, v := range b.svc.Spec.Selector {
			if s.Template.Metadata.Labels[k] != v {
				t.Errorf("Service selector %s=%s does not match the pod labels %v", k, v, s.Template.Metadata.Labels)
			}
		}
		for k, v := range s.Selector.MatchLabels {
			if s.Template.Metadata.Labels[k] != v {
				t.Errorf("StatefulSet selector %s=%s does not match the pod labels", k, v)
			}
		}
		if s.ServiceName != b.svcDoc.Name {
			t.Errorf("serviceName = %q, want the Service %q", s.ServiceName, b.svcDoc.Name)
		}
	})
}

// podFiles returns the files the pod's configMap and secret volumes project,
// keyed by their path in the container, with their content (the example
// Secret's placeholder text for secret keys).
func podFiles(t *testing.T, b k8sBundle) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, v := range b.sts.Spec.Template.Spec.Volumes {
		dir := b.ctr.mountPath(v.Name)
		if dir == "" {
			continue
		}
		var items []keyPath
		var data map[string]string
		switch {
		case v.ConfigMap != nil:
			if v.ConfigMap.Name != b.cmDoc.Name {
				t.Errorf("volume %s uses ConfigMap %q, want %q", v.Name, v.ConfigMap.Name, b.cmDoc.Name)
			}
			items, data = v.ConfigMap.Items, b.cm.Data
		case v.Secret != nil:
			if v.Secret.SecretName != b.secretDoc.Name {
				t.Errorf("volume %s uses Secret %q, want %q", v.Name, v.Secret.SecretName, b.secretDoc.Name)
			}
			items, data = v.Secret.Items, b.secret.StringData
		default:
			continue
		}
		if len(items) == 0 {
			t.Errorf("volume %s projects every key; list items so only the intended files appear", v.Name)
		}
		for _, it := range items {
			content, ok := data[it.Key]
			if !ok {
				t.Errorf("volume %s projects key %q that does not exist", v.Name, it.Key)
			}
			files[dir+"/"+it.Path] = []byte(content)
		}
	}
	return files
}

// TestKubernetesConfigLoads rebuilds the container's view (env from the
// StatefulSet and the example Secret, files from the ConfigMap and Secret
// volumes) under a temp root and checks config.Load accepts it in normal mode.
// The example Secret's .p8 is a placeholder, so a generated key stands in.
func TestKubernetesConfigLoads(t *testing.T) {
	b := loadBundle(t)
	root := t.TempDir()
	keyPath, _, _ := b.ctr.env("ASC_PRIVATE_KEY_PATH")
	for path, content := range podFiles(t, b) {
		if path == keyPath {
			content = testKeyPEM(t)
		}
		writeFile(t, filepath.Join(root, filepath.FromSlash(path)), content)
	}
	env := map[string]string{}
	for _, e := range b.ctr.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			v = b.secret.StringData[e.ValueFrom.SecretKeyRef.Key]
		}
		env[e.Name] = v
	}
	for _, k := range []string{"ASCBOT_CONFIG", "ASC_PRIVATE_KEY_PATH", "ASCBOT_DB"} {
		if strings.HasPrefix(env[k], "/") {
			env[k] = filepath.Join(root, filepath.FromSlash(env[k]))
		}
	}
	cfg, err := config.Load(mapEnv(env), config.ModeNormal)
	if err != nil {
		t.Fatalf("config.Load with the pod's environment: %v", err)
	}
	if cfg.HTTPAddr != ":8080" {
		t.Errorf("HTTPAddr = %q, want :8080", cfg.HTTPAddr)
	}
	if len(cfg.Apps) == 0 {
		t.Error("the ConfigMap's config has no apps")
	}
}
