// Package pluginserve starts a provider process tuned for the way Terraform
// runs it: a short-lived process whose logs Terraform usually discards, and
// which must outlive a Terraform that is killed for as long as it takes to
// undo what Terraform can no longer receive.
package pluginserve

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/astral/terraform-provider-astral/internal/runwatch"
)

// gcPercent is the garbage collector's target while serving. A plan of a
// thousand keys allocates about 750 MB in short-lived request values; at
// Go's default of 100 the collector takes a quarter of the provider's CPU
// time. At 400 it takes a quarter of that, for a peak resident set 1.6 to 2
// times as large (250 to 320 MiB instead of 160 MiB for a thousand keys).
const gcPercent = 400

// Serve serves the provider over protocol 6 after tuning the process; see
// quietSDKLogs, tuneGC and outliveTerraform. A user's GOGC and TF_LOG_SDK*
// variables are left alone.
func Serve(_ context.Context, p func() provider.Provider, opts providerserver.ServeOpts) error {
	if err := quietSDKLogs(); err != nil {
		return err
	}
	tuneGC()
	watch := &runwatch.Watch{}
	outliveTerraform(watch)
	var serveOpts []tf6server.ServeOpt
	if opts.Debug {
		serveOpts = append(serveOpts, tf6server.WithManagedDebug())
	}
	server, ok := providerserver.NewProtocol6(p())().(fullServer)
	if !ok {
		return fmt.Errorf("the framework's server of the provider serves no list resources or actions")
	}
	return tf6server.Serve(opts.Address, func() tfprotov6.ProviderServer {
		return &watchedServer{fullServer: server, watch: watch}
	}, serveOpts...)
}

// fullServer is a provider server with the calls of list resources and
// actions, which terraform-plugin-go still declares apart from
// tfprotov6.ProviderServer: tf6server serves them only to a server that
// has them, and answers "not implemented" otherwise.
type fullServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
}

// watchedServer hands the run's watch to the requests that act on the
// organization or set up what does, and tells it of a graceful stop (see
// runwatch).
type watchedServer struct {
	fullServer
	watch *runwatch.Watch
}

func (s *watchedServer) StopProvider(ctx context.Context, req *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	s.watch.StopRequested()
	return s.fullServer.StopProvider(ctx, req)
}

func (s *watchedServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	ctx, done := s.watch.Context(ctx)
	defer done()
	return s.fullServer.ConfigureProvider(ctx, req)
}

func (s *watchedServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	ctx, done := s.watch.Context(ctx)
	defer done()
	return s.fullServer.ApplyResourceChange(ctx, req)
}

func (s *watchedServer) OpenEphemeralResource(ctx context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	ctx, done := s.watch.Context(ctx)
	defer done()
	return s.fullServer.OpenEphemeralResource(ctx, req)
}

const (
	// parentPollInterval is how often the process checks that Terraform,
	// its parent, is still there.
	parentPollInterval = 100 * time.Millisecond
	// requestsGrace bounds how long the process waits, once Terraform is
	// gone, for its requests to end: a create whose answer was lost
	// settles within 30 s (the provider's killedRunTimeout). The clean-up
	// that follows bounds itself the same way: the process outlives
	// Terraform by a minute at most.
	requestsGrace = 30 * time.Second
)

// outliveTerraform keeps the process alive when Terraform is killed, until
// the run's clean-up (see runwatch.Watch.Gone) has undone what Terraform
// can no longer receive or may not have saved, and then ends it. Without
// it, the process dies of SIGPIPE at its next log line (its stderr has no
// reader any more, and Go ends a program that writes to a broken pipe on fd
// 1 or 2), and its creates complete on the API with nobody to hear them;
// and once Terraform is gone nobody would ever end the process, which
// go-plugin serves until told to stop. Terraform ends the process itself
// when it exits normally, so a parent that changes means one that died; so
// does a stdout that nobody reads any more, which tells it even when
// Terraform died before the process could note its parent (a kill that
// lands as Terraform starts the process).
func outliveTerraform(watch *runwatch.Watch) {
	signal.Ignore(syscall.SIGPIPE)
	parent := os.Getppid()
	go func() {
		for os.Getppid() == parent && !pipeUnread(os.Stdout) {
			time.Sleep(parentPollInterval)
		}
		ctx, cancel := context.WithTimeout(context.Background(), requestsGrace)
		defer cancel()
		watch.Gone(ctx)
		os.Exit(1)
	}()
}

// quietSDKLogs turns the plugin SDK's own loggers off when Terraform will
// discard what they write. Unless TF_LOG or TF_LOG_PROVIDER is set, Terraform
// reads the provider's stderr and drops every line, yet the SDK still formats
// a trace-level entry for each call: about half the provider's CPU time in a
// refresh of a thousand keys. The SDK reads these variables on every call, so
// setting them before serving is enough; a variable the user set is left
// alone, and with TF_LOG or TF_LOG_PROVIDER set the logs are complete.
func quietSDKLogs() error {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return nil
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
		if _, set := os.LookupEnv(name); !set {
			if err := os.Setenv(name, "off"); err != nil {
				return fmt.Errorf("turn the SDK's logs off: %w", err)
			}
		}
	}
	return nil
}

// tuneGC trades memory for CPU time (see gcPercent), unless GOGC says
// otherwise.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}
