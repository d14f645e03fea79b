import warnings

# Great Expectations imports pyspark when it is installed (the Spark target's extra), and
# pyspark 4.3 warns at import that it does not fully support pandas 3. salesops uses no
# pyspark pandas API: the Spark build runs SQL through dbt-spark.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
