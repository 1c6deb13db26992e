package wecom_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// A callback handler in the shape DESIGN §4 asks for: verify, decrypt, check the receive id,
// store by dedup key and answer 200 at once; the processing happens in a job.
func ExampleCrypter_DecryptRequest() {
	crypter, err := wecom.NewCrypter("Token-from-admin-console", "Siyu0Test0Vector0Key0For0WeComCallback0Abc1", "wwcorpid")
	if err != nil {
		panic(err)
	}
	store := func(ctx context.Context, dedupKey string, plain []byte) error { return nil } // insert … ON CONFLICT DO NOTHING

	http.HandleFunc("/wecom/callback", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet { // the URL verification when the admin saves the URL
			echo, err := crypter.VerifyURLRequest(r)
			if err != nil {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			w.Write(echo) // bare plaintext: no quotes, BOM or newline
			return
		}
		plain, err := crypter.DecryptRequest(r)
		if err != nil {
			if wecom.IsCallbackRejection(err) {
				slog.WarnContext(r.Context(), "wecom callback rejected", slog.Any("err", err))
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			http.Error(w, "read error", http.StatusInternalServerError)
			return
		}
		ev, err := wecom.ParseEvent(plain)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := store(r.Context(), ev.DedupKey(), plain); err != nil {
			// No 200: WeCom re-delivers, and the dedup key absorbs the repeat.
			http.Error(w, "retry", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Typed errors: decide by category, not by code.
func ExampleAPIError() {
	var c *wecom.Client // from wecom.NewClient
	handle := func() {
		_, err := c.GetExternalContact(context.Background(), "wmXXXX", "")
		switch {
		case errors.Is(err, wecom.ErrNotFound): // 40096, 84061, …: the customer is gone
		case wecom.IsRetryable(err): // still busy after the client's own retries: reschedule
		case errors.Is(err, wecom.ErrPermission): // 48002, 60011: configuration, alert an admin
		}
	}
	_ = handle
}
