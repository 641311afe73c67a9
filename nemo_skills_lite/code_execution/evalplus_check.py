"""EvalPlus' output check, run inside the sandbox after the program (its source is the row's setup code).

``_nsl_evalplus_check`` is self-contained: ``conventions`` injects its source with ``inspect.getsource``.
Rules (EvalPlus 0.3.1, ``evalplus/eval/__init__.py`` ``unsafe_execute`` and ``_special_oracle.py``):

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
- ``dataset="humaneval"``: ``find_zero`` passes when the polynomial at the output is within atol of 0.
"""

from __future__ import annotations


def _nsl_evalplus_check(entry_point, inputs_json, expected_json, reference, atol, dataset=None):
    import copy
    import json
    import math

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

    inputs = json.loads(inputs_json)
    if reference is not None:
        ref_ns: dict = {}
        exec(reference, ref_ns)
        expected = [ref_ns[entry_point](*copy.deepcopy(inp)) for inp in inputs]
    else:
        expected = json.loads(expected_json)
    fn = globals()[entry_point]
    for i, (inp, exp) in enumerate(zip(inputs, expected)):
        out = fn(*copy.deepcopy(inp))
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
