// Command astral-sandbox runs the Astral API sandbox: the reference server of
// the Astral API with a demo organization whose members hold working keys.
//
//	go run ./internal/sandbox/cmd/astral-sandbox --listen 127.0.0.1:8790 --db astral-sandbox.db --credentials creds.json
//
// Once it listens it prints a JSON summary on stdout: the endpoint, the
// admin token and the demo organization, each member with a new key and a
// one-time sign-in link to the app's Security page (app_url). With
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
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
	stdout.Write(indent(sum))
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
