"""The engine's version, as stamped on every fact."""

__version__ = "0.1.0"
ENGINE = f"assay {__version__}"
