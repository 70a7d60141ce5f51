"""French messages for click's own texts (usage errors, help headings).

click marks its messages with :func:`gettext.gettext` but ships no French catalogue; the
interface of espass_geo is French, so a wrong option would otherwise answer « Error: Invalid
value for '--max-nodata-share' … » in English in the middle of French messages. :func:`install`
replaces the ``_`` / ``ngettext`` names that click's modules imported with look-ups in the
catalogue below (message ids copied from click's sources; an id not found falls back to the
English text, so a new click version degrades to English, never to an error).
"""

from __future__ import annotations

import gettext as _gettext
import importlib

#: click message id → French. Placeholders are click's own (``{name!r}``, ``{message}``…).
CATALOGUE: dict[str, str] = {
    "Error: {message}": "Erreur : {message}",
    "Usage:": "Utilisation :",
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "Show the version and exit.": "Afficher la version et quitter.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "default: {default}": "défaut : {default}",
    "env var: {var}": "variable d'environnement : {var}",
    "deprecated": "obsolète",
    "Aborted!": "Interrompu.",
    "Missing command.": "Commande manquante.",
    "Try '{command} {option}' for help.": "Voir « {command} {option} » pour l'aide.",
    "Invalid value for {param_hint}: {message}": "valeur invalide pour {param_hint} : {message}",
    "Invalid value: {message}": "valeur invalide : {message}",
    "Missing argument": "Argument manquant",
    "Missing option": "Option obligatoire manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Missing {param_type}": "{param_type} manquant(e)",
    "No such command {name!r}.": "commande inconnue {name!r}.",
    "No such option {name!r}.": "option inconnue {name!r}.",
    "Could not open file {filename!r}: {message}":
        "impossible d'ouvrir le fichier {filename!r} : {message}",
    "unknown error": "erreur inconnue",
    "Did you mean {possibility}?": "Vouliez-vous dire {possibility} ?",
    "(Did you mean one of: {possibilities}?)": "(Vouliez-vous dire : {possibilities} ?)",
    "Option {name!r} does not take a value.": "l'option {name!r} ne prend pas de valeur.",
    "Option {name!r} requires an argument.": "l'option {name!r} demande une valeur.",
    "Option {name!r} requires {nargs} arguments.": "l'option {name!r} demande {nargs} valeurs.",
    "Argument {name!r} takes {nargs} values.": "l'argument {name!r} prend {nargs} valeurs.",
    "Got unexpected extra argument ({args})": "argument en trop ({args})",
    "Got unexpected extra arguments ({args})": "arguments en trop ({args})",
    "Takes {nargs} values but 1 was given.": "{nargs} valeurs attendues, 1 donnée.",
    "Takes {nargs} values but {len} were given.": "{nargs} valeurs attendues, {len} données.",
    "{value!r} is not a valid {number_type}.":
        "{value!r} n'est pas un nombre valide ({number_type}) ; écrivez par ex. 0.5 "
        "(point décimal).",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} n'est pas un booléen ; valeurs possibles : {states}",
    "{value!r} is not {choice}.": "{value!r} n'est pas {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} n'est pas l'une des valeurs {choices}.",
    "Choose from:\n\t{choices}": "Choisir parmi :\n\t{choices}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} illisible (droits).",
    "{name} {filename!r} is not writable.": "{name} {filename!r} non modifiable (droits).",
    "file": "Fichier",
    "directory": "Dossier",
    "path": "Chemin",
    "{len_type} values are required, but {len_value} was given.":
        "{len_type} valeurs attendues, {len_value} donnée.",
    "{len_type} values are required, but {len_value} were given.":
        "{len_type} valeurs attendues, {len_value} données.",
}

_MODULES = ("click.core", "click.exceptions", "click.parser", "click.types", "click.formatting",
            "click.decorators", "click.termui", "click.utils")


def _(message: str) -> str:
    return CATALOGUE.get(message, _gettext.gettext(message))


def _n(singular: str, plural: str, n: int) -> str:
    return _(singular) if n == 1 else _(plural)


def install() -> None:
    """Use the French catalogue in click's modules (idempotent)."""
    for name in _MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a module renamed in a future click
            continue
        if hasattr(mod, "_"):
            mod._ = _
        if hasattr(mod, "ngettext"):
            mod.ngettext = _n
