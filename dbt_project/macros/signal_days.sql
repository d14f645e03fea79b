{#- An order-free fingerprint of a set of rows: the sum of a 64-bit hash of each row's
    `columns` (a list of expressions), as decimal(38, 0). Two sets of rows with the same count
    and the same hash sum are taken as equal; a changed, added or removed row changes the sum
    except for a 64-bit collision. Not in dbt's cross-database macros: dispatched. -#}
{% macro hash_sum(columns) -%}
    {{ return(adapter.dispatch('hash_sum', 'salesops')(columns)) }}
{%- endmacro %}

{% macro default__hash_sum(columns) -%}
    {{ exceptions.raise_compiler_error(
        "hash_sum (the day signatures of the incremental signal marts) has no implementation for "
        ~ adapter.type() ~ ": add " ~ adapter.type() ~ "__hash_sum in macros/signal_days.sql"
    ) }}
{%- endmacro %}

{% macro duckdb__hash_sum(columns) -%}
    cast(sum(hash({{ columns | join(', ') }})) as decimal(38, 0))
{%- endmacro %}

{#- Spark's xxhash64 skips null arguments, so (x, null) and (null, x) would hash alike:
    every column is made text with a marker for null first. -#}
{% macro spark__hash_sum(columns) -%}
    {%- set marked = [] -%}
    {%- for column in columns -%}
        {%- do marked.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
    {%- endfor -%}
    cast(sum(cast(xxhash64({{ marked | join(', ') }}) as decimal(38, 0))) as decimal(38, 0))
{%- endmacro %}


{#- Each signal day's keyword hits as (signal_date, hits, signature): what the day-grain signal
    marts (fct_opportunity_signals_daily, fct_rep_signals_daily) compute a day's rows from, the
    hits' columns they read. Two builds agree on a day's rows exactly when they agree on this. -#}
{% macro keyword_hit_day_signatures() -%}
    select
        signal_date,
        count(*) as hits,
        {{ hash_sum(['message_id', 'opportunity_id', 'rep_id', 'team_id', 'keyword', 'category', 'negated']) }} as signature
    from {{ ref('int_keyword_hits_joined_to_messages') }}
    group by signal_date
{%- endmacro %}


{#- Run before the day signatures are extended (int_keyword_hit_days_signed): deletes what the
    build must sign again and returns nothing.
      everything, when the project changed (another salesops version: SALESOPS_DBT_FINGERPRINT);
      a day, when its hits changed (a corrected chat archive, a message linked to another
        opportunity, a rep moved to another team) or it has none now (as_of moved back). -#}
{% macro delete_changed_signal_days(relation) -%}
    {#- only a run or build writes: compile, show and docs generate must not delete anything -#}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}{{ return('') }}{%- endif -%}
    {%- set state = run_query(
        "select count(*) as stored_rows, count(distinct _build_fingerprint) as fingerprints, "
        ~ "max(_build_fingerprint) as fingerprint from " ~ relation
    ).rows[0] -%}
    {%- if state['stored_rows'] == 0 -%}{{ return('') }}{%- endif -%}
    {%- if state['fingerprints'] != 1 or state['fingerprint'] != env_var('SALESOPS_DBT_FINGERPRINT', 'unknown') -%}
        {%- do delete_rows(relation) -%}
        {{ return('') }}
    {%- endif -%}
    {%- do delete_rows(relation,
        "not coalesce(signal_date in ("
        ~ "select stored.signal_date from " ~ relation ~ " as stored "
        ~ "inner join (" ~ keyword_hit_day_signatures() ~ ") as current_day "
        ~ "on current_day.signal_date = stored.signal_date "
        ~ "and current_day.hits = stored.hits "
        ~ "and current_day.signature = stored.signature), false)"
    ) -%}
    {{ return('') }}
{%- endmacro %}


{#- A day-grain signal mart (fct_opportunity_signals_daily, fct_rep_signals_daily), incremental
    by day mirroring int_keyword_hit_days_signed: when that model is built in the same dbt
    invocation, only the days it signed again (new, or their hits changed) are computed again
    and the days it no longer has are deleted (delete_rows_to_mirror); every other day's rows
    stay as stored and take the new as_of (a day's rows do not depend on as_of once the day is
    on or before it). Built without it (a selection that leaves it out), when the mart is not
    available, or when it holds no row, the mart is computed whole.
    tests/test_incremental_snapshot.py checks both marts against a full rebuild.

    Called once at the top of the mart (after its config); returns the select of the keyword
    hits (int_keyword_hits_joined_to_messages) the mart computes in this build. -#}
{% macro signal_mart_hits(mart_name) -%}
    {%- set hits = ref('int_keyword_hits_joined_to_messages') -%}
    {%- set days = ref('int_keyword_hit_days_signed') -%}
    {%- set as_of_relation = ref('int_as_of_resolved') -%}
    {%- set mirrored = is_incremental()
        and ('model.' ~ project_name ~ '.int_keyword_hit_days_signed') in selected_resources -%}
    {%- if is_incremental() -%}
        {%- do delete_rows_to_mirror(this, 'signal_date', days, mirrored, mart_is_available(mart_name)) -%}
        {%- if mirrored and execute and flags.WHICH in ('run', 'build') -%}
            {%- do update_rows(this, "as_of", "(select max(as_of) from " ~ as_of_relation ~ ")",
                "as_of <> (select max(as_of) from " ~ as_of_relation ~ ")") -%}
        {%- endif -%}
    {%- endif -%}
    select * from {{ hits }}
    {%- if mirrored %}
    where signal_date in (select signal_date from {{ days }} where _written_by = '{{ invocation_id }}')
        or (select count(*) from {{ this }}) = 0
    {%- endif %}
{%- endmacro %}
