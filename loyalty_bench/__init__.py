"""`make bench`: the scale benchmark of the warehouse (`python -m loyalty_bench.scale`) and of
the ML models (`python -m loyalty_bench.ml`).

It sits on top of the rest: it drives the generator (loyalty_datagen), dbt (with loyalty_dbt's
plugins) and the ml package; nothing imports it.
"""
