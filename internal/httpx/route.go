package httpx

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HandlerFunc is an API handler: it writes a success response or returns an error, which the
// router writes in the error shape.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Param documents a query parameter.
type Param struct {
	Name, Type, Description string
}

// Route is one API endpoint and everything needed to mount, authorize and document it. Each
// domain package lists its routes in one table (its Routes function), so reading that table tells
// you the package's API and who may call it.
type Route struct {
	Method string
	Path   string // ServeMux pattern path, e.g. /api/v1/staff/{id}
	// Perm is the permission the caller needs; "" means any authenticated caller.
	Perm string
	// Public routes skip authentication (login, health).
	Public  bool
	Summary string
	Tag     string
	// Request and Response are zero values of the body types, for the OpenAPI document.
	Request  any
	Response any
	// Form documents a multipart/form-data body (file uploads) instead of a JSON Request: the
	// zero value of a struct whose fields (form names from the `form` tag) are strings, or
	// []byte for a file.
	Form any
	// Status is the success status; 0 means 200.
	Status  int
	Query   []Param
	Handler HandlerFunc
}

// Auth authenticates requests and checks permissions. The org package implements it.
type Auth interface {
	// Authenticate returns r with the caller in its context, or an *Error (Unauthorized, or
	// Forbidden for a failed CSRF check).
	Authenticate(r *http.Request) (*http.Request, error)
	// Authorize returns a Forbidden *Error when the caller in r lacks perm.
	Authorize(r *http.Request, perm string) error
}

// Router mounts route tables on a ServeMux behind authentication, authorization and metrics.
type Router struct {
	mux     *http.ServeMux
	auth    Auth
	routes  []Route
	metrics *metrics
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewRouter returns a router that registers its metrics with reg.
func NewRouter(auth Auth, reg prometheus.Registerer) *Router {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siyu_http_requests_total", Help: "API requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "siyu_http_request_duration_seconds", Help: "API request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	rt := &Router{mux: http.NewServeMux(), auth: auth, metrics: m}
	rt.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, &Error{Code: NotFound, Key: "route_not_found", Message: "no such API route"})
	})
	return rt
}

// Mount registers API routes.
func (rt *Router) Mount(routes ...Route) {
	for _, route := range routes {
		rt.routes = append(rt.routes, route)
		rt.mux.Handle(route.Method+" "+route.Path, rt.wrap(route))
	}
}

// Handle registers a non-API handler (health, metrics, static files, callbacks); these are not
// in the OpenAPI document's /api/v1 section.
func (rt *Router) Handle(pattern string, h http.Handler) { rt.mux.Handle(pattern, h) }

// Routes returns the mounted API routes sorted by path and method.
func (rt *Router) Routes() []Route {
	out := append([]Route(nil), rt.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

func (rt *Router) wrap(route Route) http.Handler {
	label := route.Path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		err := rt.serve(route, sw, r)
		if err != nil {
			WriteError(sw, r, err)
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		rt.metrics.requests.WithLabelValues(route.Method, label, strconv.Itoa(status)).Inc()
		rt.metrics.duration.WithLabelValues(route.Method, label).Observe(time.Since(start).Seconds())
	})
}

func (rt *Router) serve(route Route, w http.ResponseWriter, r *http.Request) error {
	if !route.Public {
		var err error
		if r, err = rt.auth.Authenticate(r); err != nil {
			return err
		}
		if route.Perm != "" {
			if err := rt.auth.Authorize(r, route.Perm); err != nil {
				return err
			}
		}
	}
	return route.Handler(w, r)
}

// PathID reads a positive integer path value such as {id}; anything else is NotFound, since no
// object can have that id.
func PathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, &Error{Code: NotFound, Key: "not_found", Message: "no object with id " + strconv.Quote(r.PathValue(name))}
	}
	return n, nil
}
