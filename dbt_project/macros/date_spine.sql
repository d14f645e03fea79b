{#- The whole numbers 0 … 2^max_bits − 1 as a select with one column `whole_number`.
    Portable: no generate_series / recursive CTE; a cross join of `max_bits` two-row tables
    (binary digits). -#}
{% macro whole_numbers(max_bits) -%}
    {%- set bits = range(max_bits) -%}
    select
        {% for bit in bits -%}
        bit_{{ bit }}.digit * {{ 2 ** bit }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as whole_number
    from
        {% for bit in bits -%}
        (select 0 as digit union all select 1 as digit) as bit_{{ bit }}
        {%- if not loop.last %}
        cross join
        {% endif -%}
        {%- endfor %}
{%- endmacro %}


{#- Every calendar day from `start_date` to `end_date` (both SQL date expressions, scalar
    subqueries allowed), inclusive, as a select with one column `date_day` (date). The
    default 15 bits covers ~89 years, far beyond any CRM history, and is only 32,768 rows. -#}
{% macro date_spine(start_date, end_date, max_bits=15) -%}
    {{ day_spine(start_date, end_date, 1, 'date_day', max_bits) }}
{%- endmacro %}


{#- Every 7th day from `first_week_start` to `last_day`, inclusive, as a select with one
    column `week_start` (date); none when `first_week_start` is null. 12 bits: 4,096 weeks,
    ~78 years. -#}
{% macro week_spine(first_week_start, last_day, max_bits=12) -%}
    {{ day_spine(first_week_start, last_day, 7, 'week_start', max_bits) }}
{%- endmacro %}


{#- Every `step`-th day from `start_date` to `end_date` as column `column`: offsets
    0 … 2^max_bits − 1 (whole_numbers) times `step`, then dbt.dateadd (its interval
    bracketed: dbt-spark's dateadd does not bracket it). Portable: no recursive CTE, which
    Spark stops at 100 levels (two years of weeks). -#}
{% macro day_spine(start_date, end_date, step, column, max_bits) -%}
    select
        cast({{ dbt.dateadd('day', '(offsets.whole_number * ' ~ step ~ ')', 'spine_bounds.start_on') }} as date) as {{ column }}
    from ({{ whole_numbers(max_bits) }}) as offsets
    cross join (
        select
            cast({{ start_date }} as date) as start_on,
            cast({{ end_date }} as date) as end_on
    ) as spine_bounds
    where offsets.whole_number * {{ step }}
        <= {{ dbt.datediff('spine_bounds.start_on', 'spine_bounds.end_on', 'day') }}
{%- endmacro %}


{#- Free text → date, null when the text is not a date (e.g. 尽快, 待定, empty). ISO
    `YYYY-MM-DD` is the landing contract's date format; anything else stays null rather
    than being guessed. dbt.safe_cast is a plain cast on DuckDB (which would fail), so
    DuckDB gets try_cast. -#}
{% macro text_to_date(column) -%}
    {{ return(adapter.dispatch('text_to_date', 'salesops')(column)) }}
{%- endmacro %}

{% macro default__text_to_date(column) -%}
    {{ dbt.safe_cast(column, 'date') }}
{%- endmacro %}

{% macro duckdb__text_to_date(column) -%}
    try_cast(nullif(trim({{ column }}), '') as date)
{%- endmacro %}
