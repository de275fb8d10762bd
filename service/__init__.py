"""borderwatch: streaming alerts for government and military aircraft abroad.

The package follows the pipeline:
feeds -> (normalise, fuse) -> identify -> locate -> track -> detect -> alerts -> deliver.
"""

__version__ = "0.1.0"
