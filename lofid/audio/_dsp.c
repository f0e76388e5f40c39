/* lofid.audio._dsp: the chain's sample loops, compiled, and the ring the sound card plays from.

Each function runs one stage's inner loop over a block, in place, on C-contiguous numpy arrays
(float64 but where it says otherwise), and keeps the stage's state in a small array the stage owns,
so a stream of blocks comes out exactly as one long block would. The stages themselves
(lofid.audio.filters, tone, stereo, tape, glue, loudness, layers, hiss, chain) keep their settings,
glides and docs in Python; only the per-sample work is here, where a block costs one call instead
of numpy's dozens of small calls, each of them slow on the cold caches the render thread wakes up
to every block (BENCHMARKS.md, "The chain's sample loops compiled").

Plain C and Python's own buffer protocol: no numpy headers, nothing beyond a C compiler to build.
An array of the wrong type or shape is refused with an exception naming it, before anything is
read or written. The loops run without the GIL, so the producer thread runs meanwhile.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARRAYS 6

/* The arrays one call holds: taken in turn, all given back by release(). */
typedef struct {
    Py_buffer view[MAX_ARRAYS];
    int held;
} Arrays;

static const char *type_name(const char *format) {
    switch (format[0]) {
        case 'f': return "float32";
        case 'h': return "int16";
        case 'l': return "int64";
        default: return "float64";
    }
}

static void release(Arrays *a) {
    while (a->held > 0) PyBuffer_Release(&a->view[--a->held]);
}

/* The next array of the call: C-contiguous, of `format` ("d" float64, "f" float32, "h" int16, "l" int64) and
   `ndim` dimensions (0: any), writable if asked. Otherwise NULL, an exception naming it, and every
   array taken so far given back, so a caller just returns NULL. */
static Py_buffer *take(Arrays *a, PyObject *obj, int writable, int ndim, const char *format, const char *name) {
    Py_buffer *view = &a->view[a->held];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: a C-contiguous%s %s array is needed", name,
                     writable ? ", writable" : "", type_name(format));
        release(a);
        return NULL;
    }
    if (strcmp(view->format, format) != 0 || (ndim && view->ndim != ndim)) {
        PyBuffer_Release(view);
        if (ndim) PyErr_Format(PyExc_TypeError, "%s: a %d-dimensional %s array is needed", name, ndim, type_name(format));
        else PyErr_Format(PyExc_TypeError, "%s: a %s array is needed", name, type_name(format));
        release(a);
        return NULL;
    }
    a->held++;
    return view;
}

/* Gives the arrays back and raises ValueError with the message: for shapes that do not fit together. */
static PyObject *refuse(Arrays *a, const char *message) {
    release(a);
    PyErr_SetString(PyExc_ValueError, message);
    return NULL;
}

static Py_ssize_t doubles(const Py_buffer *view) { return view->len / (Py_ssize_t)sizeof(double); }

/* one_pole(x, state, a, dry, wet): y[n] = a*y[n-1] + (1-a)*x[n] down each column of x (frames,
   channels), and x[n] becomes dry*x[n] + wet*y[n], in place: (0, 1) is the low-pass, (1, -1) the
   high-pass, anything between a tilt. state (channels,) holds y before the block and is left
   holding its last value. */
static PyObject *one_pole(PyObject *self, PyObject *args) {
    PyObject *xo, *so;
    double a, dry, wet;
    if (!PyArg_ParseTuple(args, "OOddd", &xo, &so, &a, &dry, &wet)) return NULL;
    Arrays arrays = {.held = 0};
    Py_buffer *x, *s;
    if (!(x = take(&arrays, xo, 1, 2, "d", "x")) || !(s = take(&arrays, so, 1, 1, "d", "state"))) return NULL;
    Py_ssize_t frames = x->shape[0], channels = x->shape[1];
    if (channels != doubles(s)) {
        release(&arrays);
        return PyErr_Format(PyExc_ValueError, "x has %zd channels, state %zd", channels, doubles(s));
    }
    double *px = x->buf, *ps = s->buf, b = 1.0 - a;
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
    release(&arrays);
    Py_RETURN_NONE;
}

/* side_high_pass(x, state, a): x (frames, 2) in place with its side (L-R)/2 through len(state)
   one-pole high-passes in series (pole a, one state each) and its mid left alone. */
static PyObject *side_high_pass(PyObject *self, PyObject *args) {
    PyObject *xo, *so;
    double a;
    if (!PyArg_ParseTuple(args, "OOd", &xo, &so, &a)) return NULL;
    Arrays arrays = {.held = 0};
    Py_buffer *x, *s;
    if (!(x = take(&arrays, xo, 1, 2, "d", "x")) || !(s = take(&arrays, so, 1, 1, "d", "state"))) return NULL;
    if (x->shape[1] != 2) return refuse(&arrays, "side_high_pass: x must be (frames, 2)");
    Py_ssize_t frames = x->shape[0], order = doubles(s);
    double *px = x->buf, *ps = s->buf, b = 1.0 - a;
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
    release(&arrays);
    Py_RETURN_NONE;
}

/* The frame-linear read of buffer (length, channels) at the fractional frame `at` into out[0..channels),
   held at the ends as np.interp does. */
static inline void read_between(const double *buffer, Py_ssize_t length, Py_ssize_t channels, double at, double *out) {
    Py_ssize_t i;
    double f;
    if (!(at > 0.0)) { i = 0; f = 0.0; }
    else if (at >= (double)(length - 1)) { i = length - 2; f = 1.0; }
    else { i = (Py_ssize_t)at; f = at - (double)i; }
    for (Py_ssize_t c = 0; c < channels; c++) {
        double lo = buffer[i * channels + c], hi = buffer[(i + 1) * channels + c];
        out[c] = lo + f * (hi - lo);
    }
}

/* The swing at frame t: the sum over the sines in swings (radians a frame, then amplitude, of each). */
static double swing_at(double t, const double *swings, Py_ssize_t sines) {
    double sum = 0.0;
    for (Py_ssize_t i = 0; i < sines; i++) sum += sin(swings[2 * i] * t) * swings[2 * i + 1];
    return sum;
}

/* wow(buffer, out, start, step, keep, latency, bend, swings): the wandering delay line. Frame n of
   the block (frame start + n on the absolute clock) reads buffer (length, channels; the block
   follows `keep` carried frames) at keep + n - (latency + bend[n] * swing), linearly between the two
   neighbouring frames, into out (frames, channels). The swing, in frames, is swing_at() worked out
   every `step` frames of the absolute clock and linear between. bend: one value, or one per frame
   while it glides. */
static PyObject *wow(PyObject *self, PyObject *args) {
    PyObject *bo, *oo, *eo, *wo;
    long long start;
    Py_ssize_t step, keep;
    double latency;
    if (!PyArg_ParseTuple(args, "OOLnndOO", &bo, &oo, &start, &step, &keep, &latency, &eo, &wo)) return NULL;
    Arrays arrays = {.held = 0};
    Py_buffer *b, *o, *e, *w;
    if (!(b = take(&arrays, bo, 0, 2, "d", "buffer")) || !(o = take(&arrays, oo, 1, 2, "d", "out"))
        || !(e = take(&arrays, eo, 0, 1, "d", "bend")) || !(w = take(&arrays, wo, 0, 1, "d", "swings"))) return NULL;
    Py_ssize_t length = b->shape[0], channels = b->shape[1], frames = o->shape[0], bends = doubles(e);
    if (o->shape[1] != channels || length < 2 || step < 1 || start < 0 || doubles(w) % 2 != 0
        || (bends != 1 && bends != frames))
        return refuse(&arrays, "wow: buffer, out, bend and swings do not fit together");
    const double *pb = b->buf, *pe = e->buf, *pw = w->buf;
    double *po = o->buf;
    Py_ssize_t sines = doubles(w) / 2;
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
        read_between(pb, length, channels, at, po + n * channels);
    }
    Py_END_ALLOW_THREADS
    release(&arrays);
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
    Arrays arrays = {.held = 0};
    Py_buffer *o, *l, *sc;
    if (!(o = take(&arrays, oo, 1, 2, "d", "out")) || !(l = take(&arrays, lo, 0, 0, "h", "loop"))
        || !(sc = take(&arrays, so, 0, 1, "d", "scale"))) return NULL;
    Py_ssize_t frames = o->shape[0], length = l->shape[0], scales = doubles(sc);
    Py_ssize_t channels = l->ndim == 2 ? l->shape[1] : 1;
    if (o->shape[1] != 2 || length < 1 || l->ndim > 2 || channels > 2 || (scales != 1 && scales != frames)
        || left < 0 || right < 0)
        return refuse(&arrays, "add_loop: out (frames, 2), loop (length, 1 or 2), scale 1 or frames");
    const short *pl = l->buf;
    const double *ps = sc->buf;
    double *po = o->buf;
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
    release(&arrays);
    Py_RETURN_NONE;
}

/* k_energy(x, state, coefs): the sum over frames and channels of x (frames, channels) through
   BS.1770's K-weighting, two biquads in series (coefs: b0 b1 b2 a1 a2 of each, a0 = 1), transposed
   direct form II; state (4 * channels): each biquad's two delays per channel, carried on. */
static PyObject *k_energy(PyObject *self, PyObject *args) {
    PyObject *xo, *so, *co;
    if (!PyArg_ParseTuple(args, "OOO", &xo, &so, &co)) return NULL;
    Arrays arrays = {.held = 0};
    Py_buffer *x, *s, *c;
    if (!(x = take(&arrays, xo, 0, 2, "d", "x")) || !(s = take(&arrays, so, 1, 1, "d", "state"))
        || !(c = take(&arrays, co, 0, 1, "d", "coefs"))) return NULL;
    Py_ssize_t frames = x->shape[0], channels = x->shape[1];
    if (doubles(s) != 4 * channels || doubles(c) != 10)
        return refuse(&arrays, "k_energy: state must hold 4 values a channel, coefs 10");
    const double *px = x->buf, *k = c->buf;
    double *ps = s->buf, energy = 0.0;
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
    release(&arrays);
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
    Arrays arrays = {.held = 0};
    Py_buffer *x, *a;
    if (!(x = take(&arrays, xo, 1, 2, "d", "x")) || !(a = take(&arrays, ao, 0, 1, "d", "amount"))) return NULL;
    Py_ssize_t frames = x->shape[0], channels = x->shape[1], amounts = doubles(a);
    if (amounts != 1 && amounts != frames) {
        release(&arrays);
        return PyErr_Format(PyExc_ValueError, "saturate: %zd amounts for %zd frames", amounts, frames);
    }
    double *px = x->buf;
    const double *pa = a->buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t n = 0; n < frames; n++) {
        double share = pa[amounts == 1 ? 0 : n];
        for (Py_ssize_t c = 0; c < channels; c++) {
            double v = px[n * channels + c];
            px[n * channels + c] = v + share * (soft_clip(drive * v) / drive - v);
        }
    }
    Py_END_ALLOW_THREADS
    release(&arrays);
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
    Arrays arrays = {.held = 0};
    Py_buffer *x, *s, *m;
    if (!(x = take(&arrays, xo, 1, 2, "d", "x")) || !(s = take(&arrays, so, 1, 1, "d", "state"))
        || !(m = take(&arrays, ao, 0, 1, "d", "amounts"))) return NULL;
    Py_ssize_t frames = x->shape[0], amounts = doubles(m);
    double *px = x->buf, *ps = s->buf;
    const double *pm = m->buf;
    if (x->shape[1] != 2 || doubles(s) != 4 || step < 1 || amounts < 1)
        return refuse(&arrays, "glue: x must be (frames, 2), state 4 values, step and amounts 1 or more");
    Py_ssize_t finished = ((Py_ssize_t)ps[1] + frames) / step;
    if (amounts != 1 && amounts < finished) {
        release(&arrays);
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
    release(&arrays);
    Py_RETURN_NONE;
}

/* stems(planes, gains, mid, side, bass, drums): the synth's float32 stems (8, frames: L and R of
   keys, drums, bass, melody, as lofid.audio.synth.STEMS) at their gains (4, 1 or frames), sorted
   into the buses the chain works on: the keys and melody together as mid and side (frames, 1 each),
   the bass as its mid (frames, 1), the drums as they are (frames, 2). */
static PyObject *stems(PyObject *self, PyObject *args) {
    PyObject *po, *go, *mo, *so, *bo, *dro;
    if (!PyArg_ParseTuple(args, "OOOOOO", &po, &go, &mo, &so, &bo, &dro)) return NULL;
    Arrays arrays = {.held = 0};
    Py_buffer *p, *g, *m, *sd, *b, *d;
    if (!(p = take(&arrays, po, 0, 2, "f", "planes")) || !(g = take(&arrays, go, 0, 2, "d", "gains"))
        || !(m = take(&arrays, mo, 1, 2, "d", "mid")) || !(sd = take(&arrays, so, 1, 2, "d", "side"))
        || !(b = take(&arrays, bo, 1, 2, "d", "bass")) || !(d = take(&arrays, dro, 1, 2, "d", "drums"))) return NULL;
    Py_ssize_t frames = p->shape[1], per = g->shape[1];
    if (p->shape[0] != 8 || g->shape[0] != 4 || (per != 1 && per != frames) || doubles(m) != frames
        || doubles(sd) != frames || doubles(b) != frames || d->shape[0] != frames || d->shape[1] != 2)
        return refuse(&arrays, "stems: planes (8, frames), gains (4, 1 or frames), buses of frames");
    const float *pp = p->buf;
    const double *pg = g->buf;
    double *pm = m->buf, *ps = sd->buf, *pb = b->buf, *pd = d->buf;
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
    release(&arrays);
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
    Arrays arrays = {.held = 0};
    Py_buffer *m, *sd, *h, *w, *c, *o;
    if (!(m = take(&arrays, mo, 0, 0, "d", "mid")) || !(sd = take(&arrays, so, 0, 0, "d", "side"))
        || !(h = take(&arrays, ho, 1, 1, "d", "history")) || !(w = take(&arrays, wo, 0, 1, "d", "width"))
        || !(c = take(&arrays, co, 0, 0, "d", "centre")) || !(o = take(&arrays, oo, 1, 2, "d", "out"))) return NULL;
    Py_ssize_t frames = doubles(m), delay = doubles(h), widths = doubles(w);
    if (doubles(sd) != frames || doubles(c) != frames || o->shape[0] != frames || o->shape[1] != 2
        || (widths != 1 && widths != frames))
        return refuse(&arrays, "widen: mid, side, centre and out must have the same frames");
    const double *pm = m->buf, *ps = sd->buf, *pw = w->buf, *pc = c->buf;
    double *ph = h->buf, *po = o->buf;
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
    release(&arrays);
    Py_RETURN_NONE;
}

/* The ring the render thread fills and the sound card empties (lofid.audio.sinks.RingBuffer).

Its state is a small int64 array the Python side owns beside the float32 frames (capacity x 2,
interleaved): the slots below. Each counter is stored by one side only, the writer's `written`
after its frames are in (release) and the reader's `read` after its copy is out, each read by the
other with acquire, so neither side ever waits for the other or sees frames before they are there.
The reader is the sound card's callback, in C, which takes no GIL and calls no Python: no thread of
the daemon can keep it waiting. A pull that leaves `ring_at` frames or fewer rings the doorbell, one
byte into a non-blocking pipe that wakes the render thread once there is room for its next render
(a full pipe already says "look": the byte is dropped). */
enum { RING_FRAMES, RING_CAPACITY, RING_WRITTEN, RING_READ, RING_AT, RING_UNDERRUNS, RING_DOORBELL, RING_DRAINING,
       RING_SLOTS };

#define PA_OUTPUT_UNDERFLOW 0x4UL /* PortAudio's paOutputUnderflow status flag */
#define PA_CONTINUE 0             /* PortAudio's paContinue */

static void copy_frames(float *to, const float *from, int64_t frames) { memcpy(to, from, (size_t)frames * 2 * sizeof(float)); }

/* Up to `frames` frames into `out`, the rest silence: how many were there. A short pull is an
   underrun unless the ring is draining (the end), and so is the card's own report of one. */
static int64_t ring_pull_frames(int64_t *s, float *out, int64_t frames, int card_underflow) {
    const float *buf = (const float *)(intptr_t)s[RING_FRAMES];
    int64_t cap = s[RING_CAPACITY], r = s[RING_READ];
    int64_t w = __atomic_load_n(&s[RING_WRITTEN], __ATOMIC_ACQUIRE);
    int64_t n = w - r < frames ? w - r : frames;
    int64_t at = r % cap, first = cap - at < n ? cap - at : n;
    copy_frames(out, buf + 2 * at, first);
    copy_frames(out + 2 * first, buf, n - first);
    if (n < frames) memset(out + 2 * n, 0, (size_t)(frames - n) * 2 * sizeof(float));
    if (card_underflow) __atomic_fetch_add(&s[RING_UNDERRUNS], 1, __ATOMIC_RELAXED);
    if (n < frames && !__atomic_load_n(&s[RING_DRAINING], __ATOMIC_RELAXED))
        __atomic_fetch_add(&s[RING_UNDERRUNS], 1, __ATOMIC_RELAXED);
    __atomic_store_n(&s[RING_READ], r + n, __ATOMIC_RELEASE);
    int fd = (int)s[RING_DOORBELL];
    if (fd >= 0 && w - (r + n) <= __atomic_load_n(&s[RING_AT], __ATOMIC_RELAXED)) {
        static const char byte = 0;
        if (write(fd, &byte, 1) < 0) { /* EAGAIN: the reader has a byte waiting already */ }
    }
    return n;
}

/* PortAudio's stream callback (PaStreamCallback), interleaved stereo float32 out; `user` is the
   ring's state. Real-time: copies, counts, rings, nothing else. */
static int card_callback(const void *input, void *output, unsigned long frames, const void *time_info,
                         unsigned long flags, void *user) {
    (void)input; (void)time_info;
    ring_pull_frames((int64_t *)user, (float *)output, (int64_t)frames, (flags & PA_OUTPUT_UNDERFLOW) != 0);
    return PA_CONTINUE;
}

/* The two arrays of a ring call: its state (writable int64, RING_SLOTS long), returned, and a
   (frames, 2) float32 block of stereo frames in *frames; NULL with the exception set if either is
   refused (every array given back). */
static int64_t *ring_arrays(Arrays *a, PyObject *state_obj, PyObject *frames_obj, int writable, const char *name,
                            Py_buffer **frames) {
    Py_buffer *state = take(a, state_obj, 1, 1, "l", "state");
    if (!state) return NULL;
    if (state->len < (Py_ssize_t)(RING_SLOTS * sizeof(int64_t))) {
        refuse(a, "state: the ring's state needs RING_SLOTS slots");
        return NULL;
    }
    if (!(*frames = take(a, frames_obj, writable, 2, "f", name))) return NULL;
    if ((*frames)->shape[1] != 2) {
        refuse(a, "a block of stereo frames, (frames, 2), is needed");
        return NULL;
    }
    return (int64_t *)state->buf;
}

/* ring_bind(state, frames, doorbell): make state the ring over frames (capacity, 2), empty; a pull
   rings the pipe fd doorbell (-1: none). The caller keeps frames alive as long as state is used. */
static PyObject *ring_bind(PyObject *self, PyObject *args) {
    PyObject *state_obj, *frames_obj;
    int fd;
    if (!PyArg_ParseTuple(args, "OOi", &state_obj, &frames_obj, &fd)) return NULL;
    Arrays a = {.held = 0};
    Py_buffer *frames;
    int64_t *s = ring_arrays(&a, state_obj, frames_obj, 1, "frames", &frames);
    if (!s) return NULL;
    memset(s, 0, RING_SLOTS * sizeof(int64_t));
    s[RING_FRAMES] = (int64_t)(intptr_t)frames->buf;
    s[RING_CAPACITY] = frames->shape[0];
    s[RING_DOORBELL] = fd;
    release(&a);
    Py_RETURN_NONE;
}

/* ring_push(state, block): the writer's side, the block's frames in after what was written. The
   caller waits for room first; a block that does not fit is refused, nothing written. */
static PyObject *ring_push(PyObject *self, PyObject *args) {
    PyObject *state_obj, *block_obj;
    if (!PyArg_ParseTuple(args, "OO", &state_obj, &block_obj)) return NULL;
    Arrays a = {.held = 0};
    Py_buffer *block;
    int64_t *s = ring_arrays(&a, state_obj, block_obj, 0, "block", &block);
    if (!s) return NULL;
    float *buf = (float *)(intptr_t)s[RING_FRAMES];
    int64_t cap = s[RING_CAPACITY], w = s[RING_WRITTEN], n = block->shape[0];
    if (n > cap - (w - __atomic_load_n(&s[RING_READ], __ATOMIC_ACQUIRE))) return refuse(&a, "block: no room in the ring for it");
    int64_t at = w % cap, first = cap - at < n ? cap - at : n;
    const float *in = (const float *)block->buf;
    copy_frames(buf + 2 * at, in, first);
    copy_frames(buf, in + 2 * first, n - first);
    __atomic_store_n(&s[RING_WRITTEN], w + n, __ATOMIC_RELEASE);
    release(&a);
    Py_RETURN_NONE;
}

/* ring_pull(state, out): what the sound card's callback does, from Python: out (frames, 2) filled
   from the ring, silence after what was there; returns how many frames were there. */
static PyObject *ring_pull(PyObject *self, PyObject *args) {
    PyObject *state_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "OO", &state_obj, &out_obj)) return NULL;
    Arrays a = {.held = 0};
    Py_buffer *out;
    int64_t *s = ring_arrays(&a, state_obj, out_obj, 1, "out", &out);
    if (!s) return NULL;
    int64_t n = ring_pull_frames(s, (float *)out->buf, out->shape[0], 0);
    release(&a);
    return PyLong_FromLongLong(n);
}

/* card_callback(): the address of the C callback, for PortAudio (lofid.audio.portaudio). */
static PyObject *card_callback_address(PyObject *self, PyObject *unused) {
    return PyLong_FromVoidPtr((void *)&card_callback);
}

static PyMethodDef methods[] = {
    {"ring_bind", ring_bind, METH_VARARGS, "ring_bind(state, frames, doorbell): state made the empty ring over frames."},
    {"ring_push", ring_push, METH_VARARGS, "ring_push(state, block): the writer's frames into the ring."},
    {"ring_pull", ring_pull, METH_VARARGS, "ring_pull(state, out): the sound card's pull, from Python; frames that were there."},
    {"card_callback", card_callback_address, METH_NOARGS, "card_callback(): the PortAudio callback's address (user data: the state)."},
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
    PyModuleDef_HEAD_INIT,
    .m_name = "_dsp",
    .m_doc = "The chain's sample loops, compiled (lofid/audio/_dsp.c).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__dsp(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    /* The ring's state slots, so Python reads them by name (lofid.audio.sinks.RingBuffer). */
    if (PyModule_AddIntConstant(m, "RING_SLOTS", RING_SLOTS) < 0 || PyModule_AddIntConstant(m, "RING_WRITTEN", RING_WRITTEN) < 0
        || PyModule_AddIntConstant(m, "RING_READ", RING_READ) < 0 || PyModule_AddIntConstant(m, "RING_AT", RING_AT) < 0
        || PyModule_AddIntConstant(m, "RING_UNDERRUNS", RING_UNDERRUNS) < 0
        || PyModule_AddIntConstant(m, "RING_DRAINING", RING_DRAINING) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
