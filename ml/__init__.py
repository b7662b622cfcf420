"""Loyalty ML: the models' library (specs, training, evaluation, registry, scoring) over the
warehouse's connection layer, and the `ml` command line. The generator is loyalty_datagen, the
benchmark harness loyalty_bench."""

__version__ = "0.1.0"
