"""Exception and warning hierarchy of espass_geo.

Every message names the offending file or value and ends with the remedy. Errors come in five
families under :class:`EspassGeoError`: :class:`InputError` (an input cannot be read or used),
:class:`ValidationError` (a configuration file, with the list of its ``problems``),
:class:`TerritoryError`, :class:`FactorError` and :class:`OutputError`.
"""

from __future__ import annotations

import errno as _errno

#: French reasons for the operating-system errors a user can meet (``strerror`` is English).
_OS_REASONS_FR = {
    _errno.EACCES: "accès refusé",
    _errno.EPERM: "opération non permise",
    _errno.EROFS: "disque en lecture seule",
    _errno.ENOSPC: "disque plein",
    _errno.EDQUOT: "quota de disque dépassé",
    _errno.EEXIST: "un élément du chemin existe déjà et n'est pas un dossier",
    _errno.ENOTDIR: "un élément du chemin est un fichier, pas un dossier",
    _errno.EISDIR: "c'est un dossier, pas un fichier",
    _errno.ENOENT: "fichier ou dossier introuvable",
    _errno.ENAMETOOLONG: "nom de fichier trop long",
    _errno.EBUSY: "fichier ou dossier occupé par un autre programme",
    _errno.EIO: "erreur de lecture ou d'écriture du disque",
}


def os_reason(exc: OSError) -> str:
    """The reason of an :class:`OSError` in French (falls back to the system's text)."""
    return _OS_REASONS_FR.get(exc.errno, exc.strerror or str(exc))


class EspassGeoError(RuntimeError):
    """Base class of every error raised by espass_geo."""


# The five families: catch one of them to handle every error of its kind.
class InputError(EspassGeoError):
    """An input (file, raster, table, layer) cannot be read or used."""


class ValidationError(EspassGeoError):
    """A configuration is invalid; ``problems`` lists every problem found (with its line)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class TerritoryError(EspassGeoError):
    """The territory cannot be resolved into zones."""


class FactorError(EspassGeoError):
    """A factor is missing for a class, zone or method."""


class OutputError(EspassGeoError):
    """The output directory cannot be written."""


# ------------------------------------------------------------------------ input
class InputFileError(InputError):
    """A file cannot be found, read or parsed."""


class MissingCRSError(InputError):
    """A raster or vector input has no coordinate reference system."""


class CRSMismatchError(InputError):
    """Inputs are in different CRS and cannot be reconciled automatically."""


class NoOverlapError(InputError):
    """The territory and the land-cover raster do not overlap."""


class CoverageError(NoOverlapError):
    """A zone lies too much outside the raster or in no-data (or the raster has no data there)."""


class AreaTableError(InputError):
    """An area table (CSV given by the user) is malformed."""


class InventoryError(InputError):
    """An emission inventory or a population table is invalid."""


# ------------------------------------------------------------------- validation
class ScenarioError(ValidationError):
    """A scenario file is invalid; the message lists every problem found."""


class ConfigError(ValidationError):
    """A bilan configuration file is invalid; the message lists every problem with its line."""


# -------------------------------------------------------------------- territory
class TerritoryNotFoundError(TerritoryError):
    """An INSEE or SIREN code does not exist in the embedded tables."""


class EmptyTerritoryError(TerritoryError):
    """The territory selection holds no zone (or zones of zero area)."""


# ----------------------------------------------------------------------- factor
class UnknownLandCoverClassError(FactorError):
    """Land-cover codes absent from the mapping/factor tables."""

    def __init__(self, message: str, codes: list | None = None):
        super().__init__(message)
        self.codes = list(codes or [])


# --------------------------------------------------------------------- warnings
class EspassGeoWarning(UserWarning):
    """Base class of espass_geo warnings (French message)."""


class SmallTerritoryWarning(EspassGeoWarning):
    """Fewer than ~10 communes: ALDO warns that results are not meaningful."""


class InvalidGeometryWarning(EspassGeoWarning):
    """Invalid geometries were repaired."""


class OverlappingZonesWarning(EspassGeoWarning):
    """Zones (communes, parcels) overlap: their overlap is counted twice."""


class InconsistentAreasWarning(EspassGeoWarning):
    """Areas from two sources disagree (e.g. parcels vs land cover)."""


class PartialCoverageWarning(EspassGeoWarning):
    """A zone lies partly (more than 1 %) outside the raster or in no-data."""


class ZoneIdWarning(EspassGeoWarning):
    """A territory layer has no recognised zone id field: its zones are numbered."""


class MixedProductsWarning(EspassGeoWarning):
    """The two dates of a change come from different land-cover products (CLC and OCS GE…):
    part of the change is nomenclature, not land."""
