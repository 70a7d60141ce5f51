"""Mistyped command lines: click's own errors answer in French too (exit 2, nothing written)."""

from __future__ import annotations

from .common import Case, stocks_args


def _args(*words: str):
    return lambda tmp: list(words)


CASES = [
    Case("cli-threshold-above-one",
         lambda tmp: stocks_args(tmp, "--max-nodata-share", "2"), "error",
         (r"valeur invalide pour '--max-nodata-share' : 2\.0 n'est pas dans l'intervalle",)),
    Case("cli-threshold-decimal-comma",
         lambda tmp: stocks_args(tmp, "--max-nodata-share", "0,7"), "error",
         (r"n'est pas un nombre valide", r"point décimal")),
    Case("cli-unknown-option", lambda tmp: stocks_args(tmp, "--frob", "1"), "error",
         (r"option inconnue '--frob'", r"Voir « \S+ stocks --help »")),
    Case("cli-unknown-command", _args("stokcs"), "error",
         (r"commande inconnue 'stokcs'", r"Vouliez-vous dire 'stocks'")),
    Case("cli-missing-out", _args("stocks", "--territory", "59183"), "error",
         (r"Option obligatoire manquante '--out'",)),
    Case("cli-bad-method", lambda tmp: stocks_args(tmp, "--method", "tier2"), "error",
         (r"'tier2' n'est pas l'une des valeurs",)),
    Case("cli-years-one-value", _args("flows", "--territory", "59183", "--years", "2012"),
         "error", (r"l'option '--years' demande 2 valeurs",)),
]
