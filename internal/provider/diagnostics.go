package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// clientErrorDiagnostic turns an error of the client into an error
// diagnostic. summary says what failed ("Could not create the API key");
// the detail says what to do about it, then quotes the error, which holds
// the API's code, message and request id but never a secret.
func clientErrorDiagnostic(summary string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic(summary, advice(err)+"\n\n"+err.Error())
}

// advice says what the user can do about err.
func advice(err error) string {
	var (
		connErr *astral.ConnectionError
		rateErr *astral.RateLimitError
	)
	switch {
	case errors.Is(err, astral.ErrUnauthenticated):
		return "The provider's API key is not valid: it may be revoked or expired. " +
			"Create a new key in the Astral app under Settings → Security and set api_key (or " + envAPIKey + ") to its secret."
	case errors.Is(err, astral.ErrPlanUpgradeRequired):
		return "API keys need the Coach plan or above; upgrade the organization's plan in the Astral app."
	case errors.Is(err, astral.ErrInsufficientRole):
		return "Only the organization's head coach may manage API keys; use a key created by the head coach as the provider's api_key."
	case errors.Is(err, astral.ErrForbidden):
		return "The API refused the request for the provider's API key; check the organization's plan and the role of the key's creator."
	case errors.As(err, &rateErr):
		return "The API kept answering that the provider's API key sends too many requests: the provider paced its requests to the API's rate limit, " +
			"but this one would have waited longer than rate_limit_wait (" + rateErr.MaxWait.String() + ") allows. " +
			"Run Terraform again later, lower -parallelism, stop other clients that use the same API key, or raise rate_limit_wait."
	case errors.Is(err, astral.ErrRateLimited):
		// A 429 that said neither how long to wait nor the policy: retried
		// like a server error.
		return "The API kept answering that the provider's API key sends too many requests, after every retry. " +
			"Wait a minute and run Terraform again, lower -parallelism, or raise max_retries."
	case errors.Is(err, astral.ErrServer):
		return "The Astral API failed on every attempt. Run Terraform again later; if it keeps failing, contact Astral support with the request id below."
	case errors.Is(err, context.Canceled):
		return "The request was canceled before the API answered, as when Terraform is interrupted."
	case errors.Is(err, context.DeadlineExceeded):
		return "The request did not finish in time. Run Terraform again, or raise request_timeout if the API is slow to answer."
	case errors.As(err, &connErr) && connErr.NotSent:
		return fmt.Sprintf("Could not connect to the Astral API at %s, so nothing was sent. Check the provider's endpoint (or %s): "+
			"its host name must resolve and the API must listen there, reachable from this machine (proxy, firewall, VPN).",
			endpointOf(connErr.URL), envEndpoint)
	case errors.As(err, &connErr):
		return fmt.Sprintf("No response from the Astral API at %s. Check the provider's endpoint (or %s) and the network between Terraform and the API.",
			endpointOf(connErr.URL), envEndpoint)
	case errors.Is(err, astral.ErrInvalidRequest):
		return "The API refused a value of the request; the message below names it."
	}
	return "The Astral API answered in a way the provider did not expect. If this persists, report it with the details below."
}

// endpointOf returns the scheme and host of a request's URL: the part the
// user configures.
func endpointOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Scheme + "://" + u.Host
}

// validationReason is what is wrong with a value the client refused before
// any request, in words for a message that already names the value.
func validationReason(err error) string {
	var invalid *astral.ValidationError
	if errors.As(err, &invalid) {
		return invalid.Reason
	}
	return err.Error()
}
