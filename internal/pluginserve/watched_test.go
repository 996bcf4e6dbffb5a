package pluginserve

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/astral/terraform-provider-astral/internal/runwatch"
)

// recordingServer keeps the context of the last apply; a call of any other
// method of the embedded nil server would panic.
type recordingServer struct {
	fullServer
	applyCtx context.Context
}

func (s *recordingServer) ApplyResourceChange(ctx context.Context, _ *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	s.applyCtx = ctx
	return &tfprotov6.ApplyResourceChangeResponse{}, nil
}

func (s *recordingServer) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

// An apply learns from its context whether Terraform asked the provider to
// stop: before StopProvider it did not, after it did.
func TestWatchedServer(t *testing.T) {
	inner := &recordingServer{}
	s := &watchedServer{fullServer: inner, watch: &runwatch.Watch{}}
	ctx, cancel := context.WithCancel(t.Context())
	if _, err := s.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if !runwatch.RunGone(inner.applyCtx) {
		t.Error("an apply whose context ended before any StopProvider does not take its run for gone")
	}
	if _, err := s.StopProvider(t.Context(), &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	if runwatch.RunGone(inner.applyCtx) {
		t.Error("an apply whose context ended after StopProvider takes its run for gone")
	}
}

// The provider binary serves the calls of list resources and actions, which
// tf6server hands only to a server that has them: without them, terraform
// query and terraform apply -invoke fail with "not implemented", although
// the tests, which serve the provider without this package, pass.
func TestWatchedServerServesListResourcesAndActions(t *testing.T) {
	var s tfprotov6.ProviderServer = &watchedServer{}
	if _, ok := s.(tfprotov6.ListResourceServer); !ok {
		t.Error("watchedServer serves no list resources")
	}
	if _, ok := s.(tfprotov6.ActionServer); !ok {
		t.Error("watchedServer serves no actions")
	}
}
