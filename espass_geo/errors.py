"""Exception and warning hierarchy of espass_geo.

Every message names the offending file or value and ends with the remedy.
"""

from __future__ import annotations


class EspassGeoError(RuntimeError):
    """Base class of every error raised by espass_geo."""


class InputFileError(EspassGeoError):
    """A file cannot be found, read or parsed."""


class MissingCRSError(EspassGeoError):
    """A raster or vector input has no coordinate reference system."""


class CRSMismatchError(EspassGeoError):
    """Inputs are in different CRS and cannot be reconciled automatically."""


class NoOverlapError(EspassGeoError):
    """The territory and the land-cover raster do not overlap."""


class CoverageError(NoOverlapError):
    """A zone lies too much outside the raster or in no-data (or the raster has no data there)."""


class UnknownLandCoverClassError(EspassGeoError):
    """Land-cover codes absent from the mapping/factor tables."""

    def __init__(self, message: str, codes: list | None = None):
        super().__init__(message)
        self.codes = list(codes or [])


class TerritoryNotFoundError(EspassGeoError):
    """An INSEE or SIREN code does not exist in the embedded tables."""


class EmptyTerritoryError(EspassGeoError):
    """The territory selection holds no zone (or zones of zero area)."""


class AreaTableError(EspassGeoError):
    """An area table (CSV given by the user) is malformed."""


class FactorError(EspassGeoError):
    """A factor is missing for a class, zone or method."""


class OutputError(EspassGeoError):
    """The output directory cannot be written."""


class ScenarioError(EspassGeoError):
    """A scenario file is invalid; the message lists every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class ConfigError(EspassGeoError):
    """A bilan configuration file is invalid; the message lists every problem with its line."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class InventoryError(EspassGeoError):
    """An emission inventory or a population table is invalid."""


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
