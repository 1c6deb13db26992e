package httpx

import (
	"context"
	"net/http"
)

// The handlers of plain object routes: decode, call the service, answer. A service method
// with the matching signature becomes a route handler without a hand-written wrapper.

// Create answers 201 with what fn makes of the JSON body.
func Create[In, Out any](fn func(context.Context, In) (Out, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if err := Decode(r, &in); err != nil {
			return err
		}
		out, err := fn(r.Context(), in)
		return Reply(w, http.StatusCreated, out, err)
	}
}

// Read answers 200 with the object the {id} path value names.
func Read[Out any](fn func(context.Context, int64) (Out, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		out, err := fn(r.Context(), id)
		return Reply(w, http.StatusOK, out, err)
	}
}

// Replace answers 200 with what fn makes of the {id} object and the JSON body. get runs first,
// so an object the caller cannot see is a 404 whatever the body holds.
func Replace[In, Out, Cur any](get func(context.Context, int64) (Cur, error), fn func(context.Context, int64, In) (Out, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := get(r.Context(), id); err != nil {
			return err
		}
		var in In
		if err := Decode(r, &in); err != nil {
			return err
		}
		out, err := fn(r.Context(), id, in)
		return Reply(w, http.StatusOK, out, err)
	}
}

// Remove answers 204 once fn has deleted the {id} object.
func Remove(fn func(context.Context, int64) error) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		if err := fn(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
