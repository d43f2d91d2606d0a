package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// defaultHealthURL is where a notifier with the image's http.listen answers.
const defaultHealthURL = "http://127.0.0.1:9464/readyz"

// runHealthcheck asks a running notifier's /readyz, for images without a shell: exit 0
// when it answers 200, 1 otherwise.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flags("healthcheck", stderr)
	target := fs.String("url", defaultHealthURL, "the /readyz URL of the notifier to ask")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if code, ok := parse(fs, args, stdout, stderr); !ok {
		return code
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "notifier healthcheck: --url must be an absolute http(s) URL\n")
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		fmt.Fprintf(stderr, "notifier healthcheck: %v\n", err)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "notifier healthcheck: %s: no answer\n", u.Redacted())
		return exitRuntime
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "notifier healthcheck: %s: %s\n%s", u.Redacted(), resp.Status, body)
		return exitRuntime
	}
	fmt.Fprintf(stdout, "ready\n")
	return exitOK
}
