"""Checks that call the solution's function inside the sandbox: each is an assert row's setup code.

Each function is self-contained (``conventions`` injects its source with ``inspect.getsource``) and
runs in the solution's namespace, so ``globals()`` is where the solution's function or class is found.

- ``_nsl_apps_ok``: an APPS/TACO call-based test (conventions.py has the rules).
- ``_nsl_lcb_ok``: a LiveCodeBench functional test.
- ``_nsl_evalplus_check``: EvalPlus' output check of every input. Rules (EvalPlus 0.3.1,
  ``evalplus/eval/__init__.py`` ``unsafe_execute`` and ``_special_oracle.py``):
    - each output must ``==`` the expected one; when ``atol`` is set or the expected value is a float / a
      list of floats (then atol = 1e-6), else the same type and length and
      ``|out - exp| <= atol + 1e-7 * |exp|`` (``np.allclose(rtol=1e-07, atol=atol)``);
    - ``dataset="mbpp"``, the special oracles EvalPlus keys by function name: order-free set comparison
      for ``similar_elements``, ``find_char_long``, ``common_in_nested_lists``, ``extract_singly``,
      ``larg_nnum``, ``intersection_array``, ``find_dissimilar``, ``Diff``; "not None" for ``check_str``,
      ``text_match_three``, ``text_starta_endb`` (a bool output must equal the expected one, any other
      output counts as ``out is not None``); any output for ``are_equivalent``; ``0`` also accepted for
      ``sum_div``; for ``surface_Area`` the slant-height formula within atol; for ``digit_distance_nums``
      the zero-padded digit distance;
    - ``dataset="humaneval"``: ``find_zero`` passes when the polynomial at the output is within atol of 0;
    - per-input time limits as EvalPlus sets them: ``max(1.0, 4.0 * reference time)`` (``DEFAULT_MIN_TIME_LIMIT``,
      ``DEFAULT_GT_TIME_LIMIT_FACTOR``); the reference time is the row's ``ref_time`` (EvalPlus' ``base_time``
      / ``plus_time``) or, with ``reference_code``, measured here. Measured and enforced as CPU time (load
      does not change it), with a wall-clock backstop at 3x; a slower input fails the program, as EvalPlus'
      ``TIMEOUT`` does. Without either, only the row's own time limit applies.
"""

from __future__ import annotations


def _nsl_apps_ok(fn_name, args_json, expected_json):
    import json

    sol = globals().get("Solution")
    if isinstance(sol, type) and hasattr(sol, fn_name):
        fn = getattr(sol(), fn_name)
    elif callable(globals().get(fn_name)):
        fn = globals()[fn_name]
    else:
        raise NameError(f"the solution defines neither {fn_name}() nor class Solution with a method {fn_name}")

    def int_keys(d):
        try:
            return {int(k): v for k, v in d.items()}
        except (TypeError, ValueError):
            return d

    def lists(x):
        if isinstance(x, (list, tuple)):
            return [lists(v) for v in x]
        if isinstance(x, dict):
            return {k: lists(v) for k, v in x.items()}
        return x

    args, expected = json.loads(args_json), json.loads(expected_json)
    args = args if isinstance(args, list) else [args]
    if args and isinstance(args[0], dict):
        args[0] = int_keys(args[0])
    got = lists(fn(*args))
    accepted = [expected]
    if isinstance(expected, list) and len(expected) == 1:
        accepted.append(expected[0])
    accepted += [int_keys(e) for e in list(accepted) if isinstance(e, dict)]
    return any(got == e for e in accepted)


def _nsl_lcb_ok(fn_name, input_text, expected_json):
    import json

    sol = globals().get("Solution")
    fn = getattr(sol(), fn_name) if isinstance(sol, type) else globals()[fn_name]
    got = fn(*[json.loads(line) for line in input_text.split("\n")])
    if isinstance(got, tuple):
        got = list(got)
    return got == json.loads(expected_json)



def _nsl_evalplus_check(entry_point, inputs_json, expected_json, reference, atol, dataset=None, ref_times=None,
                        min_time_limit=1.0, factor=4.0):
    import copy
    import json
    import math
    import signal
    import time

    set_eq = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum",
              "intersection_array", "find_dissimilar", "Diff"}
    not_none = {"check_str", "text_match_three", "text_starta_endb"}

    def is_floats(x):
        if isinstance(x, float):
            return True
        if isinstance(x, (list, tuple)) and x:
            return all(isinstance(i, float) for i in x)
        return type(x).__name__ == "ndarray" and str(getattr(x, "dtype", "")) in ("float64", "float32")

    def close(out, exp, tol):
        a = list(out) if isinstance(out, (list, tuple)) else [out]
        b = list(exp) if isinstance(exp, (list, tuple)) else [exp]
        return len(a) == len(b) and all(abs(float(x) - float(y)) <= tol + 1e-7 * abs(float(y)) for x, y in zip(a, b))

    def mbpp_oracle(inp, out, exp, exact):
        if entry_point == "are_equivalent":
            return True
        if entry_point == "sum_div":
            return exact or out == 0
        if entry_point == "surface_Area":
            base, height = inp
            area = base ** 2 + 2 * base * math.sqrt((base / 2) ** 2 + height ** 2)
            return exact or abs(out - round(area)) <= atol
        if entry_point == "digit_distance_nums":
            a, b = str(inp[0]), str(inp[1])
            width = max(len(a), len(b))
            return exact or out == sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(width), b.zfill(width)))
        if entry_point in set_eq:
            return set(out) == set(exp)
        if entry_point in not_none:
            return out == exp if isinstance(out, bool) else exp == (out is not None)
        return exact

    def over_time(signum, frame):
        raise TimeoutError("time limit")

    def timed_call(f, args, limit):
        if limit is None:
            return f(*args)
        old = signal.signal(signal.SIGPROF, over_time), signal.signal(signal.SIGALRM, over_time)
        signal.setitimer(signal.ITIMER_PROF, limit)
        signal.setitimer(signal.ITIMER_REAL, 3 * limit)
        try:
            return f(*args)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGPROF, old[0])
            signal.signal(signal.SIGALRM, old[1])

    inputs = json.loads(inputs_json)
    if reference is not None:
        ref_ns: dict = {}
        exec(reference, ref_ns)
        expected, ref_times = [], []
        for inp in inputs:
            t0 = time.process_time()
            expected.append(ref_ns[entry_point](*copy.deepcopy(inp)))
            ref_times.append(time.process_time() - t0)
    else:
        expected = json.loads(expected_json)
    limits = [max(min_time_limit, factor * t) for t in ref_times] if ref_times else [None] * len(inputs)
    fn = globals()[entry_point]
    for i, (inp, exp) in enumerate(zip(inputs, expected)):
        try:
            out = timed_call(fn, copy.deepcopy(inp), limits[i])
        except TimeoutError:
            raise AssertionError(f"input {i}: over its time limit of {limits[i]:.2f} s (EvalPlus: max(1, 4 x reference))")
        exact = out == exp
        if dataset == "mbpp":
            exact = mbpp_oracle(inp, out, exp, exact)
        if dataset == "humaneval" and entry_point == "find_zero":
            value = sum(c * math.pow(out, k) for k, c in enumerate(inp[0]))
            assert abs(value) <= (atol or 1e-6), f"input {i}: poly at {out!r} is {value!r}, not 0"
            continue
        if atol == 0 and is_floats(exp):
            atol = 1e-6
        if not exact and atol != 0:
            ok = type(out) == type(exp) and close(out, exp, atol)
        else:
            ok = bool(exact)
        assert ok, f"input {i}: expected {exp!r:.200}, got {out!r:.200}"
