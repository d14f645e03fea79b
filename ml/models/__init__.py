"""The forecasting models (SPEC §6), one package each: ``ml/models/<name>/`` holds the model's
features, training and prediction code. :mod:`ml.models.store` writes each trained model with
its model card to ``models/<name>/<version>/`` and reuses it while the training input is
unchanged; :mod:`ml.models.warehouse` reads the marts the model needs from the build
warehouse and writes its predictions as Parquet under ``$SALESOPS_HOME/ml/``, which dbt reads
as the ``ml`` source (``dbt_project/models/staging/ml/``)."""
