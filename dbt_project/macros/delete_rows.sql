{#- Deleting and updating rows of an incremental model's table (the day signatures, the daily
    snapshot, the daily signal marts), portable: DuckDB runs DELETE / UPDATE; Spark's Parquet
    tables have neither (DELETE and UPDATE need Delta or Iceberg, whose jars cannot be had
    offline), so the table is rewritten with the rows it keeps: copied to a scratch table,
    then INSERT OVERWRITE (Spark cannot overwrite a table it reads in the same statement).
    Both execute at once (run_query) and return nothing.
    A condition says "not in a subquery" as `not coalesce(x in (select …), false)`: inside the
    rewrite's expression Spark can only run `x not in (select …)` (null-aware) as a nested loop
    join over both tables, 40 s for the 0.03 world's daily snapshot, 0.5 s as a hash join. -#}

{#- Deletes the rows of `relation` for which `condition` is true (every row when none). -#}
{% macro delete_rows(relation, condition=none) -%}
    {#- checked on every engine, so a DuckDB build (the test suite) catches it too -#}
    {%- if condition is not none and modules.re.search('not\s+in\s*\(\s*select', condition, modules.re.IGNORECASE) -%}
        {{ exceptions.raise_compiler_error(
            "delete_rows on " ~ relation ~ ": write `x not in (select ...)` as "
            ~ "`not coalesce(x in (select ...), false)` (macros/delete_rows.sql says why)") }}
    {%- endif -%}
    {{ return(adapter.dispatch('delete_rows', 'salesops')(relation, condition)) }}
{%- endmacro %}

{% macro default__delete_rows(relation, condition=none) -%}
    {%- do run_query("delete from " ~ relation ~ (" where " ~ condition if condition is not none else "")) -%}
{%- endmacro %}

{% macro spark__delete_rows(relation, condition=none) -%}
    {%- if condition is none -%}
        {%- do run_query("truncate table " ~ relation) -%}
    {%- else -%}
        {%- do _spark_rewrite(relation, "select * from " ~ relation
            ~ " where coalesce((" ~ condition ~ "), false) = false") -%}
    {%- endif -%}
{%- endmacro %}


{#- Sets `column` to `value` (a SQL expression) in the rows of `relation` where `condition`. -#}
{% macro update_rows(relation, column, value, condition) -%}
    {{ return(adapter.dispatch('update_rows', 'salesops')(relation, column, value, condition)) }}
{%- endmacro %}

{% macro default__update_rows(relation, column, value, condition) -%}
    {%- do run_query("update " ~ relation ~ " set " ~ column ~ " = " ~ value ~ " where " ~ condition) -%}
{%- endmacro %}

{% macro spark__update_rows(relation, column, value, condition) -%}
    {%- set expressions = [] -%}
    {%- for existing in adapter.get_columns_in_relation(relation) -%}
        {%- if existing.name | lower == column | lower -%}
            {%- do expressions.append("case when coalesce((" ~ condition ~ "), false) then " ~ value
                ~ " else " ~ existing.name ~ " end as " ~ existing.name) -%}
        {%- else -%}
            {%- do expressions.append(existing.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do _spark_rewrite(relation, "select " ~ expressions | join(", ") ~ " from " ~ relation) -%}
{%- endmacro %}


{% macro _spark_rewrite(relation, select_sql) -%}
    {%- set scratch = relation.incorporate(path={"identifier": relation.identifier ~ "__salesops_rewrite"}) -%}
    {%- do run_query("drop table if exists " ~ scratch) -%}
    {%- do run_query("create table " ~ scratch ~ " using parquet as " ~ select_sql) -%}
    {%- do run_query("insert overwrite table " ~ relation ~ " select * from " ~ scratch) -%}
    {%- do run_query("drop table if exists " ~ scratch) -%}
{%- endmacro %}
