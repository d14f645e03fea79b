{#- What the daily snapshot rows of an opportunity through a day `cut` are computed from, as
    one hash per (opportunity, cut): its creation day, its close (when on or before cut), its
    stage spans and its extract (value) spans that start on or before cut, with every span's
    end clipped to cut + 1 (so a stage entry or an extract dated after cut, which only ends
    the previous span, leaves the hash alone), and the current team of every owner it had.
    Two builds agree on an opportunity's rows through cut exactly when they agree on this.

    `pairs` is a select of (opportunity_id, cut); the result is a select of
    (opportunity_id, cut, signature). Portable: dbt.hash, dbt.listagg, dbt.dateadd. -#}
{% macro opportunity_snapshot_signature(pairs) -%}
    {%- set missing = "'~'" -%}
    {%- set text = dbt.type_string() -%}
    with

    pairs as (

        {{ pairs }}

    ),

    lifetimes as (

        select * from {{ ref('int_opportunities_closed_on') }}

    ),

    stage_spans as (

        select * from {{ ref('int_stage_history_spanned_by_day') }}

    ),

    value_spans as (

        select * from {{ ref('int_opportunity_values_spanned_by_day') }}

    ),

    reps as (

        select * from {{ ref('stg_crm__reps') }}

    ),

    stage_part as (

        select
            pairs.opportunity_id,
            pairs.cut,
            {{ dbt.listagg(
                "cast(stage_spans.entry_seq as " ~ text ~ ") || '|' || coalesce(stage_spans.stage, " ~ missing ~ ")"
                ~ " || '|' || coalesce(cast(stage_spans.stage_probability as " ~ text ~ "), " ~ missing ~ ")"
                ~ " || '|' || cast(stage_spans.span_start_on as " ~ text ~ ")"
                ~ " || '|' || cast(" ~ span_end_clipped('stage_spans.span_end_before', 'pairs.cut') ~ " as " ~ text ~ ")",
                "';'",
                "order by stage_spans.entry_seq"
            ) }} as stages
        from pairs
        inner join stage_spans
            on stage_spans.opportunity_id = pairs.opportunity_id
            and stage_spans.span_start_on <= pairs.cut
        group by pairs.opportunity_id, pairs.cut

    ),

    value_part as (

        select
            pairs.opportunity_id,
            pairs.cut,
            {{ dbt.listagg(
                "coalesce(value_spans.owner_rep_id, " ~ missing ~ ") || '|' || coalesce(reps.team_id, " ~ missing ~ ")"
                ~ " || '|' || coalesce(cast(value_spans.amount as " ~ text ~ "), " ~ missing ~ ")"
                ~ " || '|' || coalesce(value_spans.expected_close_date_raw, " ~ missing ~ ")"
                ~ " || '|' || coalesce(cast(value_spans.probability as " ~ text ~ "), " ~ missing ~ ")"
                ~ " || '|' || coalesce(cast(value_spans.extract_date as " ~ text ~ "), " ~ missing ~ ")"
                ~ " || '|' || coalesce(cast(value_spans.span_start_on as " ~ text ~ "), " ~ missing ~ ")"
                ~ " || '|' || cast(" ~ span_end_clipped('value_spans.span_end_before', 'pairs.cut') ~ " as " ~ text ~ ")",
                "';'",
                "order by value_spans.span_start_on nulls first, value_spans.extract_date"
            ) }} as extract_values
        from pairs
        inner join value_spans
            on value_spans.opportunity_id = pairs.opportunity_id
            and (value_spans.span_start_on is null or value_spans.span_start_on <= pairs.cut)
        left join reps
            on reps.rep_id = value_spans.owner_rep_id
        group by pairs.opportunity_id, pairs.cut

    )

    select
        pairs.opportunity_id,
        pairs.cut,
        {{ dbt.hash(
            "cast(lifetimes.created_on as " ~ text ~ ")"
            ~ " || '#' || case when lifetimes.closed_on <= pairs.cut then cast(lifetimes.closed_on as " ~ text ~ ")"
            ~ " || coalesce(lifetimes.closed_status, " ~ missing ~ ") else " ~ missing ~ " end"
            ~ " || '#' || coalesce(stage_part.stages, " ~ missing ~ ")"
            ~ " || '#' || coalesce(value_part.extract_values, " ~ missing ~ ")"
        ) }} as signature
    from pairs
    inner join lifetimes
        on lifetimes.opportunity_id = pairs.opportunity_id
    left join stage_part
        on stage_part.opportunity_id = pairs.opportunity_id
        and stage_part.cut = pairs.cut
    left join value_part
        on value_part.opportunity_id = pairs.opportunity_id
        and value_part.cut = pairs.cut
{%- endmacro %}


{#- A span's end (exclusive, empty = open) seen from `cut`: never later than cut + 1, so a
    fact dated after cut, which only ends the span, does not show. -#}
{% macro span_end_clipped(span_end_before, cut) -%}
    case
        when {{ span_end_before }} is null or {{ span_end_before }} > {{ dbt.dateadd('day', 1, cut) }}
            then {{ dbt.dateadd('day', 1, cut) }}
        else {{ span_end_before }}
    end
{%- endmacro %}


{#- Run before the incremental daily snapshot is computed (its rows through each stored
    opportunity's last day are kept only when that opportunity's inputs through that day are
    unchanged): deletes what a new build must recompute and returns nothing.
      everything, when the project changed (another salesops version: SALESOPS_DBT_FINGERPRINT,
        set by salesops-dbt), when as_of moved back before the stored days, or when the spine
        would start on another day;
      an opportunity's rows, when its signature through its last stored day changed (a
        corrected extract or stage entry, a later-known close, a team change) or it is gone. -#}
{% macro delete_changed_snapshot_rows(relation, as_of_relation, days_relation) -%}
    {#- only a run or build writes: compile, show and docs generate must not delete anything -#}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}{{ return('') }}{%- endif -%}
    {%- set fingerprint = env_var('SALESOPS_DBT_FINGERPRINT', 'unknown') -%}
    {%- set state = run_query(
        "select count(*) as stored_rows, "
        ~ "count(distinct _build_fingerprint) as fingerprints, max(_build_fingerprint) as fingerprint, "
        ~ "max(snapshot_date) as last_day, min(_spine_start_on) as spine_start "
        ~ "from " ~ relation
    ).rows[0] -%}
    {%- if state['stored_rows'] == 0 -%}{{ return('') }}{%- endif -%}
    {%- set now = run_query(
        "select (select max(as_of) from " ~ as_of_relation ~ ") as as_of, "
        ~ "(select min(snapshot_date) from " ~ days_relation ~ ") as spine_start"
    ).rows[0] -%}
    {%- set everything = state['fingerprints'] != 1
        or state['fingerprint'] != fingerprint
        or now['as_of'] is none
        or state['last_day'] > now['as_of']
        or state['spine_start'] != now['spine_start'] -%}
    {%- if everything -%}
        {%- do delete_rows(relation) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set stored_cuts -%}
        select opportunity_id, max(snapshot_date) as cut from {{ relation }} group by opportunity_id
    {%- endset -%}
    {%- set stored_signatures -%}
        select stored.opportunity_id, stored.cut, kept._signature as signature
        from ({{ stored_cuts }}) as stored
        inner join {{ relation }} as kept
            on kept.opportunity_id = stored.opportunity_id
            and kept.snapshot_date = stored.cut
    {%- endset -%}
    {%- do delete_rows(relation,
        "opportunity_id in ("
        ~ "select stored.opportunity_id from (" ~ stored_signatures ~ ") as stored "
        ~ "left join (" ~ opportunity_snapshot_signature(stored_cuts) ~ ") as current_signature "
        ~ "on current_signature.opportunity_id = stored.opportunity_id "
        ~ "where current_signature.signature is null or current_signature.signature <> stored.signature)"
    ) -%}
    {{ return('') }}
{%- endmacro %}


{#- Run before a mart that mirrors an incremental model is extended (the published daily
    snapshot mirrors the spine by opportunity; the daily signal marts mirror the day signatures
    by day): deletes what it must compute again and returns nothing.
      `mirrored` (`source` was built in this invocation): the rows of every `key` value that
        `source` wrote in this invocation (`_written_by`) or no longer has, and every row when
        the mart is not available (`available`, its guard);
      otherwise: every row. -#}
{% macro delete_rows_to_mirror(relation, key, source, mirrored, available) -%}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}{{ return('') }}{%- endif -%}
    {%- if mirrored -%}
        {%- do delete_rows(relation,
            "not (" ~ available ~ ") "
            ~ "or " ~ key ~ " in (select " ~ key ~ " from " ~ source
            ~ " where _written_by = '" ~ invocation_id ~ "') "
            ~ "or not coalesce(" ~ key ~ " in (select " ~ key ~ " from " ~ source ~ "), false)"
        ) -%}
    {%- else -%}
        {%- do delete_rows(relation) -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
