// Command astral-sandbox runs the Astral API sandbox: the reference server of
// the Astral API with a demo organization whose members hold working keys.
//
//	go run ./internal/sandbox/cmd/astral-sandbox --listen 127.0.0.1:8790 --db astral-sandbox.db --credentials creds.json
//
// Once it listens it prints a JSON summary on stdout: the endpoint, the
// admin token and the demo organization, each member with a new key and a
// one-time sign-in link to the app's Security page (app_url). With
// --format env it prints instead the shell exports of the endpoint, the head
// coach's key and the admin token, to paste into another shell. With
// --credentials the summary, members' keys and links included, is also
// written to that file (mode 0600) and stdout leaves the keys and links out.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "astral-sandbox:", err)
		os.Exit(1)
	}
}

// summary is what the command prints and writes to the credentials file.
type summary struct {
	Endpoint     string                `json:"endpoint"`
	AdminToken   string                `json:"admin_token"`
	Organization *sandbox.Organization `json:"organization"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("astral-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8790", "address to listen on; port 0 picks a free one")
	dbPath := fs.String("db", "astral-sandbox.db", `SQLite database file, or ":memory:"`)
	credentials := fs.String("credentials", "", "file to write the summary with the members' keys to (mode 0600)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	format := fs.String("format", formatJSON, `what stdout shows once listening: "json", the summary, or "env", shell exports of the endpoint, the head coach's key and the admin token`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *format != formatJSON && *format != formatEnv {
		return fmt.Errorf("--format %q: use %q or %q", *format, formatJSON, formatEnv)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Listen before anything else: a sandbox that cannot start (its port in
	// use) neither creates its database nor mints the demo members' keys.
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close() // Serve closes it too; this covers the returns before Serve
	srv, err := sandbox.New(sandbox.Options{DBPath: *dbPath, Logger: logger})
	if err != nil {
		return err
	}
	defer srv.Close()
	org, err := srv.DemoOrganization(ctx)
	if err != nil {
		return fmt.Errorf("demo organization: %w", err)
	}
	hs := srv.HTTPServer()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	sum := summary{Endpoint: "http://" + ln.Addr().String(), AdminToken: srv.AdminToken(), Organization: org}
	for i := range org.Members {
		link, _, err := srv.SignInLink(ctx, org.Members[i].ID)
		if err != nil {
			hs.Close()
			return fmt.Errorf("sign-in link: %w", err)
		}
		org.Members[i].AppURL = sum.Endpoint + link
	}
	if *credentials != "" {
		if err := writeFileAtomic(*credentials, indent(sum)); err != nil {
			hs.Close()
			return fmt.Errorf("write credentials: %w", err)
		}
		sum.Organization = withoutKeys(org)
	}
	if *format == formatEnv {
		_, err = io.WriteString(stdout, exports(sum, *credentials))
	} else {
		_, err = stdout.Write(indent(sum))
	}
	if err != nil {
		hs.Close()
		return fmt.Errorf("write the summary: %w", err)
	}
	logger.Info("listening", slog.String("endpoint", sum.Endpoint), slog.String("db", *dbPath))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// The formats of what stdout shows once the sandbox listens.
const (
	formatJSON = "json"
	formatEnv  = "env"
)

// Names of the environment variables that the provider, the guides and the
// examples read.
const (
	envEndpoint   = "ASTRAL_ENDPOINT"
	envAPIKey     = "ASTRAL_API_KEY" //nolint:gosec // the variable's name, not a credential
	envAdminToken = "ASTRAL_SANDBOX_ADMIN_TOKEN"
)

// exports are the shell commands that point the provider at the sandbox
// with the head coach's key, and give the admin routes' token, for a user
// to paste into another shell. Without the key (it went to the credentials
// file), a comment says where it is. The values are URLs, tokens and keys
// of letters and digits; quoting them anyway keeps the lines safe to paste.
func exports(sum summary, credentials string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The Astral sandbox at %s: paste these lines into the shell that runs terraform.\n", sum.Endpoint)
	fmt.Fprintf(&b, "export %s=%s\n", envEndpoint, shellQuote(sum.Endpoint))
	head := sum.Organization.Member(sandbox.RoleHeadCoach)
	switch {
	case head != nil && head.APIKey != "":
		fmt.Fprintf(&b, "export %s=%s\n", envAPIKey, shellQuote(head.APIKey))
	case credentials != "":
		fmt.Fprintf(&b, "# %s: the head coach's api_key, in %s\n", envAPIKey, credentials)
	}
	fmt.Fprintf(&b, "export %s=%s\n", envAdminToken, shellQuote(sum.AdminToken))
	if head != nil && head.AppURL != "" {
		fmt.Fprintf(&b, "# The head coach's sign-in link to Settings → Security (works once, for 15 minutes):\n#   %s\n", head.AppURL)
	}
	b.WriteString("# Ctrl-C stops the sandbox.\n")
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func indent(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // plain structs always encode
	}
	return append(b, '\n')
}

// withoutKeys copies org without the members' secrets and sign-in links,
// for stdout when they went to the credentials file.
func withoutKeys(org *sandbox.Organization) *sandbox.Organization {
	c := *org
	c.Members = make([]sandbox.Member, len(org.Members))
	for i, m := range org.Members {
		m.APIKey, m.AppURL = "", ""
		c.Members[i] = m
	}
	return &c
}

// writeFileAtomic writes through a temporary file in the same directory, so
// a reader sees the old file or the whole new one, never a part. CreateTemp
// makes the file with mode 0600, so the secrets are never readable by
// others, not even briefly.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return errors.Join(fmt.Errorf("write %s", path), err)
	}
	return nil
}
