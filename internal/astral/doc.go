// Package astral is a client of the Astral API for an organization's API keys.
//
// A Client is built from a Config and checks it without making a request.
// Its calls retry connection failures and the statuses 429, 500, 502, 503
// and 504, waiting as Retry-After asks (within Config.RetryWaitMax) or with
// jittered exponential backoff; they never retry another status. A create
// sends one Idempotency-Key on every attempt, so a retried create never
// mints a second key.
//
// The API's errors are *APIError values that keep its code, message, param
// and request id and match sentinels such as ErrNotFound with errors.Is. A
// call that never got a response is a *ConnectionError naming the method,
// URL and number of attempts. The secret is sent only in the Authorization
// header: no error or log line contains it.
//
//	client, err := astral.NewClient(astral.Config{
//		APIKey:    os.Getenv("ASTRAL_API_KEY"),
//		UserAgent: "terraform-provider-astral/1.0.0",
//	})
//	if err != nil {
//		return err
//	}
//	key, err := client.APIKeys.Create(ctx, astral.APIKeyCreateOptions{Name: "Roster sync script"})
//	if err != nil {
//		return err
//	}
//	fmt.Println(key.ID, key.Secret) // the secret is shown only once
//
//	for key, err := range client.APIKeys.All(ctx) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(key.ID, key.Name, key.Status)
//	}
//
//	if _, err := client.APIKeys.Read(ctx, id); errors.Is(err, astral.ErrNotFound) {
//		// the key does not exist in this organization
//	}
package astral
