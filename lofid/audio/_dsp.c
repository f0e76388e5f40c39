/* lofid.audio._dsp: the chain's sample loops, compiled.

Each function runs one stage's inner loop over a block in place, on float64 C-contiguous arrays
(numpy's default), and keeps the stage's state in a small array the stage owns, so a stream of
blocks comes out exactly as one long block would. The stages themselves (lofid.audio.filters, tape,
glue) keep their settings, glides and docs in Python; only the per-sample work is here, where a
block costs one call instead of numpy's dozens of small calls, each of them slow on the cold
caches the render thread wakes up to every block (BENCHMARKS.md, "Where the CPU goes").

Plain C and Python's own buffer protocol: no numpy headers, nothing beyond a C compiler to build.
The functions release the GIL while they loop, so the producer thread runs meanwhile.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* A C-contiguous buffer of `format` ("d": float64, "f": float32) and `ndim` dimensions (0: any),
   writable if asked; -1 and an exception when it is not one. */
static int get_array(PyObject *obj, Py_buffer *view, int writable, int ndim, const char *format, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous%s array is needed", name, writable ? ", writable" : "");
        return -1;
    }
    if (strcmp(view->format, format) != 0 || (ndim && view->ndim != ndim)) {
        PyErr_Format(PyExc_TypeError, "%s: a %d-dimensional %s array is needed", name, ndim,
                     format[0] == 'f' ? "float32" : "float64");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int get_doubles(PyObject *obj, Py_buffer *view, int writable, int ndim, const char *name) {
    return get_array(obj, view, writable, ndim, "d", name);
}

static Py_ssize_t count(const Py_buffer *view) { return view->len / (Py_ssize_t)sizeof(double); }

/* one_pole(x, state, a, dry, wet): y[n] = a*y[n-1] + (1-a)*x[n] down each column of x (frames,
   channels), and x[n] becomes dry*x[n] + wet*y[n], in place: (0, 1) is the low-pass, (1, -1) the
   high-pass, anything between a tilt. state (channels,) holds y before the block and is left
   holding its last value. */
static PyObject *one_pole(PyObject *self, PyObject *args) {
    PyObject *xo, *so;
    double a, dry, wet;
    if (!PyArg_ParseTuple(args, "OOddd", &xo, &so, &a, &dry, &wet)) return NULL;
    Py_buffer x, s;
    if (get_doubles(xo, &x, 1, 2, "x") < 0) return NULL;
    if (get_doubles(so, &s, 1, 1, "state") < 0) { PyBuffer_Release(&x); return NULL; }
    Py_ssize_t frames = x.shape[0], channels = x.shape[1];
    if (channels != count(&s)) {
        PyBuffer_Release(&x); PyBuffer_Release(&s);
        return PyErr_Format(PyExc_ValueError, "x has %zd channels, state %zd", channels, count(&s));
    }
    double *px = x.buf, *ps = s.buf, b = 1.0 - a;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t c = 0; c < channels; c++) {
        double y = ps[c];
        for (Py_ssize_t n = 0; n < frames; n++) {
            double v = px[n * channels + c];
            y = a * y + b * v;
            px[n * channels + c] = dry * v + wet * y;
        }
        ps[c] = y;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&x); PyBuffer_Release(&s);
    Py_RETURN_NONE;
}

/* side_high_pass(x, state, a): x (frames, 2) in place with its side (L-R)/2 through len(state)
   one-pole high-passes in series (pole a, one state each) and its mid left alone. */
static PyObject *side_high_pass(PyObject *self, PyObject *args) {
    PyObject *xo, *so;
    double a;
    if (!PyArg_ParseTuple(args, "OOd", &xo, &so, &a)) return NULL;
    Py_buffer x, s;
    if (get_doubles(xo, &x, 1, 2, "x") < 0) return NULL;
    if (get_doubles(so, &s, 1, 1, "state") < 0) { PyBuffer_Release(&x); return NULL; }
    if (x.shape[1] != 2) {
        PyBuffer_Release(&x); PyBuffer_Release(&s);
        return PyErr_Format(PyExc_ValueError, "side_high_pass: x must be (frames, 2)");
    }
    Py_ssize_t frames = x.shape[0], order = count(&s);
    double *px = x.buf, *ps = s.buf, b = 1.0 - a;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t n = 0; n < frames; n++) {
        double left = px[2 * n], right = px[2 * n + 1];
        double mid = (left + right) * 0.5, side = (left - right) * 0.5;
        for (Py_ssize_t k = 0; k < order; k++) {
            ps[k] = a * ps[k] + b * side;
            side -= ps[k];
        }
        px[2 * n] = mid + side;
        px[2 * n + 1] = mid - side;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&x); PyBuffer_Release(&s);
    Py_RETURN_NONE;
}

/* wow(buffer, out, start, step, keep, latency, bend, swings): the wandering delay line. Frame n of
   the block (frame start + n on the absolute clock) reads buffer (length, channels; the block
   follows `keep` carried frames) at keep + n - (latency + bend[n] * swing), linearly between the two
   neighbouring frames, into out (frames, channels). The swing, in frames, is the sum over the
   sines in swings (radians a frame, then amplitude in frames, of each), worked out every `step`
   frames of the absolute clock and linear between. bend: one value, or one per frame while it glides. */
static double swing_at(double t, const double *swings, Py_ssize_t sines) {
    double sum = 0.0;
    for (Py_ssize_t i = 0; i < sines; i++) sum += sin(swings[2 * i] * t) * swings[2 * i + 1];
    return sum;
}

static PyObject *wow(PyObject *self, PyObject *args) {
    PyObject *bo, *oo, *eo, *wo;
    long long start;
    Py_ssize_t step, keep;
    double latency;
    if (!PyArg_ParseTuple(args, "OOLnndOO", &bo, &oo, &start, &step, &keep, &latency, &eo, &wo)) return NULL;
    Py_buffer b, o, e, w;
    if (get_doubles(bo, &b, 0, 2, "buffer") < 0) return NULL;
    if (get_doubles(oo, &o, 1, 2, "out") < 0) { PyBuffer_Release(&b); return NULL; }
    if (get_doubles(eo, &e, 0, 1, "bend") < 0) { PyBuffer_Release(&b); PyBuffer_Release(&o); return NULL; }
    if (get_doubles(wo, &w, 0, 1, "swings") < 0) {
        PyBuffer_Release(&b); PyBuffer_Release(&o); PyBuffer_Release(&e); return NULL;
    }
    Py_ssize_t length = b.shape[0], channels = b.shape[1], frames = o.shape[0], bends = count(&e);
    int fits = o.shape[1] == channels && length >= 2 && step >= 1 && start >= 0 && count(&w) % 2 == 0
               && (bends == 1 || bends == frames);
    if (fits) {
        const double *pb = b.buf, *pe = e.buf, *pw = w.buf;
        double *po = o.buf;
        Py_ssize_t sines = count(&w) / 2;
        Py_BEGIN_ALLOW_THREADS
        long long point = start - start % step;  /* the swing's points lie on the absolute clock */
        double lo = swing_at((double)point, pw, sines), hi = swing_at((double)(point + step), pw, sines);
        for (Py_ssize_t n = 0; n < frames; n++) {
            long long t = start + n;
            if (t >= point + step) {
                point += step;
                lo = hi;
                hi = swing_at((double)(point + step), pw, sines);
            }
            double swing = lo + (double)(t - point) / (double)step * (hi - lo);
            double at = (double)(keep + n) - (latency + pe[bends == 1 ? 0 : n] * swing);
            Py_ssize_t i;
            double f;
            if (!(at > 0.0)) { i = 0; f = 0.0; }  /* held at the ends, as np.interp does */
            else if (at >= (double)(length - 1)) { i = length - 2; f = 1.0; }
            else { i = (Py_ssize_t)at; f = at - (double)i; }
            for (Py_ssize_t c = 0; c < channels; c++) {
                double a = pb[i * channels + c], z = pb[(i + 1) * channels + c];
                po[n * channels + c] = a + f * (z - a);
            }
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&b); PyBuffer_Release(&o); PyBuffer_Release(&e); PyBuffer_Release(&w);
    if (!fits) return PyErr_Format(PyExc_ValueError, "wow: buffer, out, bend and swings do not fit together");
    Py_RETURN_NONE;
}

/* add_loop(out, loop, left, right, scale): out (frames, 2) += the int16 PCM loop read from frame
   `left` for the left channel and from `right` for the right, each wrapping round the loop's end as
   often as needed, times scale (one value, or one per frame while a gain glides). loop is (length, 2),
   or (length,) for one channel read twice. */
static PyObject *add_loop(PyObject *self, PyObject *args) {
    PyObject *oo, *lo, *so;
    Py_ssize_t left, right;
    if (!PyArg_ParseTuple(args, "OOnnO", &oo, &lo, &left, &right, &so)) return NULL;
    Py_buffer o, l, sc;
    if (get_doubles(oo, &o, 1, 2, "out") < 0) return NULL;
    if (get_array(lo, &l, 0, 0, "h", "loop") < 0) { PyBuffer_Release(&o); return NULL; }
    if (get_doubles(so, &sc, 0, 1, "scale") < 0) { PyBuffer_Release(&o); PyBuffer_Release(&l); return NULL; }
    Py_ssize_t frames = o.shape[0], length = l.shape[0], scales = count(&sc);
    Py_ssize_t channels = l.ndim == 2 ? l.shape[1] : 1;
    int fits = o.shape[1] == 2 && length >= 1 && (l.ndim == 1 || (l.ndim == 2 && (channels == 1 || channels == 2)))
               && (scales == 1 || scales == frames) && left >= 0 && right >= 0;
    if (fits) {
        const short *pl = l.buf;
        const double *ps = sc.buf;
        double *po = o.buf;
        Py_BEGIN_ALLOW_THREADS
        Py_ssize_t i = left % length, j = right % length, second = channels == 2 ? 1 : 0;
        for (Py_ssize_t n = 0; n < frames; n++) {
            double g = ps[scales == 1 ? 0 : n];
            po[2 * n] += g * (double)pl[i * channels];
            po[2 * n + 1] += g * (double)pl[j * channels + second];
            if (++i == length) i = 0;
            if (++j == length) j = 0;
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&o); PyBuffer_Release(&l); PyBuffer_Release(&sc);
    if (!fits) return PyErr_Format(PyExc_ValueError, "add_loop: out (frames, 2), loop (length, 1 or 2), scale 1 or frames");
    Py_RETURN_NONE;
}

/* k_energy(x, state, coefs): the sum over frames and channels of x (frames, channels) through
   BS.1770's K-weighting, two biquads in series (coefs: b0 b1 b2 a1 a2 of each, a0 = 1), transposed
   direct form II; state (4 * channels): each biquad's two delays per channel, carried on. */
static PyObject *k_energy(PyObject *self, PyObject *args) {
    PyObject *xo, *so, *co;
    if (!PyArg_ParseTuple(args, "OOO", &xo, &so, &co)) return NULL;
    Py_buffer x, s, c;
    if (get_doubles(xo, &x, 0, 2, "x") < 0) return NULL;
    if (get_doubles(so, &s, 1, 1, "state") < 0) { PyBuffer_Release(&x); return NULL; }
    if (get_doubles(co, &c, 0, 1, "coefs") < 0) { PyBuffer_Release(&x); PyBuffer_Release(&s); return NULL; }
    Py_ssize_t frames = x.shape[0], channels = x.shape[1];
    if (count(&s) != 4 * channels || count(&c) != 10) {
        PyBuffer_Release(&x); PyBuffer_Release(&s); PyBuffer_Release(&c);
        return PyErr_Format(PyExc_ValueError, "k_energy: state must hold 4 values a channel, coefs 10");
    }
    const double *px = x.buf, *k = c.buf;
    double *ps = s.buf, energy = 0.0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t ch = 0; ch < channels; ch++) {
        double *z = ps + 4 * ch;
        for (Py_ssize_t n = 0; n < frames; n++) {
            double v = px[n * channels + ch];
            for (int q = 0; q < 2; q++) {
                const double *f = k + 5 * q;
                double y = f[0] * v + z[2 * q];
                z[2 * q] = f[1] * v - f[3] * y + z[2 * q + 1];
                z[2 * q + 1] = f[2] * v - f[4] * y;
                v = y;
            }
            energy += v * v;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&x); PyBuffer_Release(&s); PyBuffer_Release(&c);
    return PyFloat_FromDouble(energy);
}

/* tanh's shape, cheaply: u(27+u^2)/(27+9u^2) for |u| <= 3, and +-1 beyond. */
static inline double soft_clip(double u) {
    if (u > 3.0) return 1.0;
    if (u < -3.0) return -1.0;
    double s = u * u;
    return u * (27.0 + s) / (27.0 + 9.0 * s);
}

/* saturate(x, amount, drive): x (frames, channels) in place becomes x + amount * (soft_clip(drive*x)/drive - x);
   amount is one value, or one per frame while it glides. */
static PyObject *saturate(PyObject *self, PyObject *args) {
    PyObject *xo, *ao;
    double drive;
    if (!PyArg_ParseTuple(args, "OOd", &xo, &ao, &drive)) return NULL;
    Py_buffer x, a;
    if (get_doubles(xo, &x, 1, 2, "x") < 0) return NULL;
    if (get_doubles(ao, &a, 0, 1, "amount") < 0) { PyBuffer_Release(&x); return NULL; }
    Py_ssize_t frames = x.shape[0], channels = x.shape[1], amounts = count(&a);
    if (amounts != 1 && amounts != frames) {
        PyBuffer_Release(&x); PyBuffer_Release(&a);
        return PyErr_Format(PyExc_ValueError, "saturate: %zd amounts for %zd frames", amounts, frames);
    }
    double *px = x.buf;
    const double *pa = a.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t n = 0; n < frames; n++) {
        double share = pa[amounts == 1 ? 0 : n];
        for (Py_ssize_t c = 0; c < channels; c++) {
            double v = px[n * channels + c];
            px[n * channels + c] = v + share * (soft_clip(drive * v) / drive - v);
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&x); PyBuffer_Release(&a);
    Py_RETURN_NONE;
}

/* glue(x, state, amounts, step, a, threshold): the bus compressor over x (frames, 2) in place.
   state is [sum of the squared mid in the open segment, its frames, the detector's power, the gain].
   Each frame takes the gain of the last finished step-frame segment; each finished segment's mean
   square goes through the detector (a one-pole with pole a), whose power over the threshold sets the
   next gain, (power / threshold) ** (-amount / 2). amounts: one, or one per segment finished in the block. */
static PyObject *glue(PyObject *self, PyObject *args) {
    PyObject *xo, *so, *ao;
    Py_ssize_t step;
    double a, threshold;
    if (!PyArg_ParseTuple(args, "OOOndd", &xo, &so, &ao, &step, &a, &threshold)) return NULL;
    Py_buffer x, s, m;
    if (get_doubles(xo, &x, 1, 2, "x") < 0) return NULL;
    if (get_doubles(so, &s, 1, 1, "state") < 0) { PyBuffer_Release(&x); return NULL; }
    if (get_doubles(ao, &m, 0, 1, "amounts") < 0) { PyBuffer_Release(&x); PyBuffer_Release(&s); return NULL; }
    Py_ssize_t frames = x.shape[0], amounts = count(&m);
    double *px = x.buf, *ps = s.buf;
    const double *pm = m.buf;
    if (x.shape[1] != 2 || count(&s) != 4 || step < 1 || amounts < 1) {
        PyBuffer_Release(&x); PyBuffer_Release(&s); PyBuffer_Release(&m);
        return PyErr_Format(PyExc_ValueError, "glue: x must be (frames, 2), state 4 values, step and amounts 1 or more");
    }
    Py_ssize_t finished = ((Py_ssize_t)ps[1] + frames) / step;
    if (amounts != 1 && amounts < finished) {
        PyBuffer_Release(&x); PyBuffer_Release(&s); PyBuffer_Release(&m);
        return PyErr_Format(PyExc_ValueError, "glue: %zd amounts for %zd segments", amounts, finished);
    }
    Py_BEGIN_ALLOW_THREADS
    double sum = ps[0], power = ps[2], gain = ps[3], b = 1.0 - a;
    Py_ssize_t filled = (Py_ssize_t)ps[1], segment = 0;
    for (Py_ssize_t n = 0; n < frames; n++) {
        double mid = (px[2 * n] + px[2 * n + 1]) * 0.5;
        px[2 * n] *= gain;
        px[2 * n + 1] *= gain;
        sum += mid * mid;
        if (++filled == step) {
            power = a * power + b * (sum / (double)step);
            double amount = pm[amounts == 1 ? 0 : segment];
            gain = pow((power > threshold ? power : threshold) / threshold, -0.5 * amount);
            sum = 0.0;
            filled = 0;
            segment++;
        }
    }
    ps[0] = sum; ps[1] = (double)filled; ps[2] = power; ps[3] = gain;
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&x); PyBuffer_Release(&s); PyBuffer_Release(&m);
    Py_RETURN_NONE;
}

/* stems(planes, gains, mid, side, bass, drums): the synth's float32 stems (8, frames: L and R of
   keys, drums, bass, melody, as lofid.audio.synth.STEMS) at their gains (4, 1 or frames), sorted
   into the buses the chain works on: the keys and melody together as mid and side (frames, 1 each),
   the bass as its mid (frames, 1), the drums as they are (frames, 2). */
static PyObject *stems(PyObject *self, PyObject *args) {
    PyObject *po, *go, *mo, *so, *bo, *dro;
    if (!PyArg_ParseTuple(args, "OOOOOO", &po, &go, &mo, &so, &bo, &dro)) return NULL;
    Py_buffer p, g, m, sd, b, d;
    if (get_array(po, &p, 0, 2, "f", "planes") < 0) return NULL;
    if (get_doubles(go, &g, 0, 2, "gains") < 0) { PyBuffer_Release(&p); return NULL; }
    if (get_doubles(mo, &m, 1, 2, "mid") < 0) { PyBuffer_Release(&p); PyBuffer_Release(&g); return NULL; }
    if (get_doubles(so, &sd, 1, 2, "side") < 0) {
        PyBuffer_Release(&p); PyBuffer_Release(&g); PyBuffer_Release(&m); return NULL;
    }
    if (get_doubles(bo, &b, 1, 2, "bass") < 0) {
        PyBuffer_Release(&p); PyBuffer_Release(&g); PyBuffer_Release(&m); PyBuffer_Release(&sd); return NULL;
    }
    if (get_doubles(dro, &d, 1, 2, "drums") < 0) {
        PyBuffer_Release(&p); PyBuffer_Release(&g); PyBuffer_Release(&m); PyBuffer_Release(&sd); PyBuffer_Release(&b);
        return NULL;
    }
    Py_ssize_t frames = p.shape[1], per = g.shape[1];
    int fits = p.shape[0] == 8 && g.shape[0] == 4 && (per == 1 || per == frames)
               && count(&m) == frames && count(&sd) == frames && count(&b) == frames
               && d.shape[0] == frames && d.shape[1] == 2;
    if (fits) {
        const float *pp = p.buf;
        const double *pg = g.buf;
        double *pm = m.buf, *ps = sd.buf, *pb = b.buf, *pd = d.buf;
        Py_BEGIN_ALLOW_THREADS
        const float *kl = pp, *kr = pp + frames, *dl = pp + 2 * frames, *dr = pp + 3 * frames;
        const float *bl = pp + 4 * frames, *br = pp + 5 * frames, *ml = pp + 6 * frames, *mr = pp + 7 * frames;
        for (Py_ssize_t n = 0; n < frames; n++) {
            Py_ssize_t i = per == 1 ? 0 : n;
            double gk = pg[i], gd = pg[per + i], gb = pg[2 * per + i], gm = pg[3 * per + i];
            double left = gk * kl[n] + gm * ml[n], right = gk * kr[n] + gm * mr[n];
            pm[n] = (left + right) * 0.5;
            ps[n] = (left - right) * 0.5;
            pb[n] = gb * ((double)bl[n] + (double)br[n]) * 0.5;
            pd[2 * n] = gd * dl[n];
            pd[2 * n + 1] = gd * dr[n];
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&p); PyBuffer_Release(&g); PyBuffer_Release(&m); PyBuffer_Release(&sd); PyBuffer_Release(&b);
    PyBuffer_Release(&d);
    if (!fits) return PyErr_Format(PyExc_ValueError, "stems: planes (8, frames), gains (4, 1 or frames), buses of frames");
    Py_RETURN_NONE;
}

/* widen(mid, side, history, decorrelate, width, centre, out): the keys' stereo image into out
   (frames, 2): the side plus decorrelate times the mid len(history) frames ago, scaled by width
   (one value, or one per frame while it glides), around the mid, with centre (frames, 1: the bass)
   added to both. history holds the last len(history) frames of the mid, oldest first, carried on. */
static PyObject *widen(PyObject *self, PyObject *args) {
    PyObject *mo, *so, *ho, *wo, *co, *oo;
    double decorrelate;
    if (!PyArg_ParseTuple(args, "OOOdOOO", &mo, &so, &ho, &decorrelate, &wo, &co, &oo)) return NULL;
    Py_buffer m, sd, h, w, c, o;
    if (get_doubles(mo, &m, 0, 0, "mid") < 0) return NULL;
    if (get_doubles(so, &sd, 0, 0, "side") < 0) { PyBuffer_Release(&m); return NULL; }
    if (get_doubles(ho, &h, 1, 1, "history") < 0) { PyBuffer_Release(&m); PyBuffer_Release(&sd); return NULL; }
    if (get_doubles(wo, &w, 0, 1, "width") < 0) {
        PyBuffer_Release(&m); PyBuffer_Release(&sd); PyBuffer_Release(&h); return NULL;
    }
    if (get_doubles(co, &c, 0, 0, "centre") < 0) {
        PyBuffer_Release(&m); PyBuffer_Release(&sd); PyBuffer_Release(&h); PyBuffer_Release(&w); return NULL;
    }
    if (get_doubles(oo, &o, 1, 2, "out") < 0) {
        PyBuffer_Release(&m); PyBuffer_Release(&sd); PyBuffer_Release(&h); PyBuffer_Release(&w); PyBuffer_Release(&c);
        return NULL;
    }
    Py_ssize_t frames = count(&m), delay = count(&h), widths = count(&w);
    int fits = count(&sd) == frames && count(&c) == frames && o.shape[0] == frames && o.shape[1] == 2
               && (widths == 1 || widths == frames);
    if (fits) {
        const double *pm = m.buf, *ps = sd.buf, *pw = w.buf, *pc = c.buf;
        double *ph = h.buf, *po = o.buf;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t n = 0; n < frames; n++) {
            double late = n < delay ? ph[n] : pm[n - delay];
            double side = (ps[n] + decorrelate * late) * pw[widths == 1 ? 0 : n];
            po[2 * n] = pm[n] + side + pc[n];
            po[2 * n + 1] = pm[n] - side + pc[n];
        }
        if (frames >= delay) {
            memcpy(ph, pm + frames - delay, (size_t)delay * sizeof(double));
        } else {
            memmove(ph, ph + frames, (size_t)(delay - frames) * sizeof(double));
            memcpy(ph + delay - frames, pm, (size_t)frames * sizeof(double));
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&m); PyBuffer_Release(&sd); PyBuffer_Release(&h); PyBuffer_Release(&w); PyBuffer_Release(&c);
    PyBuffer_Release(&o);
    if (!fits) return PyErr_Format(PyExc_ValueError, "widen: mid, side, centre and out must have the same frames");
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"stems", stems, METH_VARARGS, "stems(planes, gains, mid, side, bass, drums): the synth's stems sorted into the chain's buses."},
    {"widen", widen, METH_VARARGS, "widen(mid, side, history, decorrelate, width, centre, out): the keys' stereo image."},
    {"one_pole", one_pole, METH_VARARGS, "one_pole(x, state, a, dry, wet): a one-pole low-pass down each column of x, mixed with it, in place."},
    {"side_high_pass", side_high_pass, METH_VARARGS, "side_high_pass(x, state, a): a stereo block's side high-passed, in place."},
    {"wow", wow, METH_VARARGS, "wow(buffer, out, start, step, keep, latency, bend, swings): the wandering delay line."},
    {"add_loop", add_loop, METH_VARARGS, "add_loop(out, loop, left, right, scale): a 16-bit loop added, wrapping round."},
    {"k_energy", k_energy, METH_VARARGS, "k_energy(x, state, coefs): the K-weighted energy of a block, filter state carried."},
    {"saturate", saturate, METH_VARARGS, "saturate(x, amount, drive): soft tape saturation mixed in, in place."},
    {"glue", glue, METH_VARARGS, "glue(x, state, amounts, step, a, threshold): the bus compressor, in place."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_dsp", "The chain's sample loops, compiled (lofid/audio/_dsp.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__dsp(void) { return PyModule_Create(&module); }
