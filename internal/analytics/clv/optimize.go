package clv

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// FitOptions tune a maximum-likelihood fit. The zero value is the plain MLE.
type FitOptions struct {
	// Penalizer, when positive, adds Penalizer·Σθ² to the mean negative
	// log-likelihood, θ being the model parameters (as lifetimes'
	// penalizer_coef does). It keeps estimates finite on small or degenerate
	// data; 0.001–0.1 are typical. For BG/NBD, α enters the penalty on a time
	// axis rescaled so the oldest customer is 10 periods old, and for
	// Gamma-Gamma, V on a money axis rescaled so the mean spend is 1, so the
	// penalty does not depend on the units chosen.
	Penalizer float64
	// MaxIterations bounds the optimiser's iterations; default 500.
	MaxIterations int
	// Workers is how many goroutines evaluate the likelihood; default
	// GOMAXPROCS. Small data sets always use one.
	Workers int
}

func (o FitOptions) workers(rows int) int {
	w := o.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	// Below this, spreading one evaluation over goroutines costs more than it saves.
	const minRowsPerWorker = 20000
	return max(1, min(w, rows/minRowsPerWorker))
}

func (o FitOptions) maxIterations() int {
	if o.MaxIterations <= 0 {
		return 500
	}
	return o.MaxIterations
}

// ErrNotConverged is wrapped by fit errors when the optimiser stopped before
// reaching a maximum of the likelihood.
var ErrNotConverged = errors.New("optimisation did not converge")

// objective returns the value to minimise at x (log-parameters) and stores
// its gradient in grad.
type objective func(x, grad []float64) float64

// gradTol is the largest gradient (infinity norm, of the mean negative
// log-likelihood per customer over log-parameters) accepted as a maximum.
const gradTol = 1e-5

// minimise runs BFGS on f from x0, computing value and gradient in one pass.
// If BFGS stops early (a line search that cannot make progress near the
// optimum is common), the result is accepted only when its gradient is
// small; otherwise Nelder-Mead continues from there. On error it still
// returns the best point reached, for the caller to explain the failure.
func minimise(f objective, x0 []float64, maxIter int) ([]float64, error) {
	var (
		lastX []float64
		lastF float64
		lastG = make([]float64, len(x0))
	)
	eval := func(x []float64) {
		if lastX != nil && floats.Equal(x, lastX) {
			return
		}
		lastX = slices.Clone(x)
		lastF = f(x, lastG)
		if math.IsNaN(lastF) {
			lastF = math.Inf(1)
		}
	}
	p := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(g, x []float64) { eval(x); copy(g, lastG) },
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-9,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-14, Iterations: 20},
	}
	res, err := optimize.Minimize(p, x0, settings, &optimize.BFGS{})
	if res != nil && isFinite(res.F) {
		g := make([]float64, len(x0))
		f(res.X, g)
		if floats.Norm(g, math.Inf(1)) < gradTol {
			return res.X, nil
		}
		x0 = res.X
	}
	// Fall back to a derivative-free search from wherever BFGS got to.
	nm, nmErr := optimize.Minimize(optimize.Problem{Func: p.Func}, x0, &optimize.Settings{
		MajorIterations: 20 * maxIter,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-14, Iterations: 200},
	}, &optimize.NelderMead{})
	if nm != nil && isFinite(nm.F) {
		g := make([]float64, len(x0))
		f(nm.X, g)
		if n := floats.Norm(g, math.Inf(1)); n < gradTol {
			return nm.X, nil
		} else if err == nil && nmErr == nil {
			err = fmt.Errorf("gradient %.3g after %d iterations", n, nm.MajorIterations)
		}
	}
	best := x0
	if nm != nil && nm.F < f(x0, make([]float64, len(x0))) {
		best = nm.X
	}
	if err == nil {
		err = nmErr
	}
	if err != nil {
		return best, fmt.Errorf("%w: %v", ErrNotConverged, err)
	}
	return best, ErrNotConverged
}

// divergence explains a failed fit whose parameters ran off towards 0 or ∞
// (x holds log-parameters on the fit's rescaled axes, where sensible values
// are within a few orders of magnitude of 1): then the likelihood has no
// finite maximum on this data, and a penalty gives it one.
func divergence(names []string, x []float64) string {
	var off []string
	for i, v := range x {
		if math.Abs(v) > math.Log(1e4) {
			off = append(off, fmt.Sprintf("%s≈%.3g", names[i], math.Exp(v)))
		}
	}
	if len(off) == 0 {
		return ""
	}
	return fmt.Sprintf(" (on a rescaled axis %s: the likelihood keeps rising as they run off, so this data cannot pin them down; a small penalizer such as 0.001 keeps them finite)", strings.Join(off, ", "))
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// parallelSum splits n rows into parts chunks, runs fn on each concurrently
// and adds up the k-vectors they return.
func parallelSum(n, parts, k int, fn func(lo, hi int, acc []float64)) []float64 {
	total := make([]float64, k)
	if parts <= 1 {
		fn(0, n, total)
		return total
	}
	accs := make([][]float64, parts)
	var wg sync.WaitGroup
	for i := range parts {
		lo, hi := i*n/parts, (i+1)*n/parts
		accs[i] = make([]float64, k)
		wg.Go(func() { fn(lo, hi, accs[i]) })
	}
	wg.Wait()
	for _, a := range accs {
		floats.Add(total, a)
	}
	return total
}
