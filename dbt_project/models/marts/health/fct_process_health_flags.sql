with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

settings as (

    select * from {{ ref('health_thresholds') }}

),

scored as (

    select * from {{ ref('int_health_weeks_scored') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

sop_usage as (

    select * from {{ ref('stg_crm__sop_usage') }}

),

sop_cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

flags as (

    select * from scored
    where is_flagged

),

-- recovered: back within the threshold in one of the following `recovery_weeks` weeks;
-- unknown (null) while those weeks are not all over and no recovery is seen yet
recoveries as (

    select
        flags.scope_level,
        flags.unit_id,
        flags.metric_code,
        flags.week_start,
        min(later.week_start) as recovery_week_start
    from flags
    cross join settings
    inner join scored as later
        on later.scope_level = flags.scope_level
        and later.unit_id = flags.unit_id
        and later.metric_code = flags.metric_code
        and later.week_start > flags.week_start
        and later.week_start <= {{ dbt.dateadd(
            'day', '7 * settings.recovery_weeks', 'flags.week_start'
        ) }}
        and abs(later.z_score) < settings.z_threshold
    group by 1, 2, 3, 4

),

-- every rep under the unit of each scope: the rep itself, the rep's team (an equality join;
-- an OR of the two is a nested loop over flags × reps)
rep_units as (

    select cast('rep' as {{ dbt.type_string() }}) as scope_level, rep_id as unit_id, rep_id
    from reps

    union all

    select cast('team' as {{ dbt.type_string() }}) as scope_level, team_id as unit_id, rep_id
    from reps
    where team_id is not null

),

-- what was done: SOP cards the rep (or the team's reps) used in the following weeks
responses as (

    select distinct
        flags.scope_level,
        flags.unit_id,
        flags.metric_code,
        flags.week_start,
        sop_usage.card_id,
        sop_cards.title as card_title
    from flags
    cross join settings
    cross join as_of
    inner join rep_units
        on rep_units.scope_level = flags.scope_level
        and rep_units.unit_id = flags.unit_id
    inner join sop_usage
        on sop_usage.rep_id = rep_units.rep_id
        and sop_usage.used_at >= cast({{ dbt.dateadd('day', 7, 'flags.week_start') }} as timestamp)
        and sop_usage.used_at < cast({{ dbt.dateadd(
            'day', '7 * (settings.sop_followup_weeks + 1)', 'flags.week_start'
        ) }} as timestamp)
        and cast(sop_usage.used_at as date) <= as_of.as_of
    left join sop_cards
        on sop_cards.card_id = sop_usage.card_id

),

response_lists as (

    select
        scope_level,
        unit_id,
        metric_code,
        week_start,
        count(*) as card_count,
        {{ dbt.listagg('card_id', "', '", 'order by card_id') }} as card_ids,
        {{ dbt.listagg("coalesce(card_title, card_id)", "' | '", 'order by card_id') }}
            as card_titles
    from responses
    group by 1, 2, 3, 4

),

cases as (

    select
        flags.*,
        recoveries.recovery_week_start,
        case
            when recoveries.recovery_week_start is not null then true
            -- every following week is over: not recovered
            when {{ dbt.dateadd(
                'day', '7 * (settings.recovery_weeks + 1) - 1', 'flags.week_start'
            ) }} <= as_of.as_of then false
        end as recovered,
        coalesce(response_lists.card_count, 0) as sop_card_count,
        response_lists.card_ids as sop_card_ids,
        response_lists.card_titles as sop_card_titles
    from flags
    cross join settings
    cross join as_of
    left join recoveries
        on recoveries.scope_level = flags.scope_level
        and recoveries.unit_id = flags.unit_id
        and recoveries.metric_code = flags.metric_code
        and recoveries.week_start = flags.week_start
    left join response_lists
        on response_lists.scope_level = flags.scope_level
        and response_lists.unit_id = flags.unit_id
        and response_lists.metric_code = flags.metric_code
        and response_lists.week_start = flags.week_start

),

-- the most similar past case: same metric and scope, an earlier week; distance = |Δz|, plus
-- a penalty when from another region; ties go to the most recent week, then the unit id.
-- Comparing every case with every earlier one is quadratic (485M pairs at SF10), so the
-- search is in two steps that give the same answer: first only the past cases whose z lies
-- near the case's z (z cut into buckets of width `band`: the bucket and its two neighbours
-- hold every case within `band`). A case whose best distance there is ≤ `band` ÷ 2 (well
-- inside, whatever the rounding of z ÷ band) has its answer, since every case outside is
-- further away. The rest (early weeks, extreme z) are compared with every earlier case.
-- `band` only trades the two steps' sizes, never the answer.
{% set band = 0.05 %}
{% set distance -%}
    abs(current_case.z_score - past_case.z_score)
    + case when past_case.region_id = current_case.region_id then 0 else settings.similar_other_region_penalty end
{%- endset %}
{% set pair_columns -%}
    current_case.scope_level,
        current_case.unit_id,
        current_case.metric_code,
        current_case.week_start,
        past_case.unit_id as similar_unit_id,
        past_case.week_start as similar_week_start,
        {{ distance }} as similarity_distance
{%- endset %}
case_buckets as (

    select
        cases.*,
        cast(floor(cases.z_score / {{ band }}) as {{ dbt.type_bigint() }}) as z_bucket
    from cases

),

bucket_offsets as (

    select -1 as bucket_offset
    union all
    select 0 as bucket_offset
    union all
    select 1 as bucket_offset

),

band_pairs as (

    select
        {{ pair_columns }}
    from case_buckets as current_case
    cross join settings
    cross join bucket_offsets
    inner join case_buckets as past_case
        on past_case.scope_level = current_case.scope_level
        and past_case.metric_code = current_case.metric_code
        and past_case.z_bucket = current_case.z_bucket + bucket_offsets.bucket_offset
        and past_case.week_start < current_case.week_start
    -- only these can be the answer for a case answered in the band
    where {{ distance }} <= {{ band }} / 2

),

band_answered as (

    select distinct scope_level, unit_id, metric_code, week_start
    from band_pairs

),

-- the band's pairs (each within `band` ÷ 2: its case is answered there) and, for the cases
-- without one, every earlier case
similar_pairs as (

    select * from band_pairs

    union all

    select
        {{ pair_columns }}
    from cases as current_case
    cross join settings
    left join band_answered
        on band_answered.scope_level = current_case.scope_level
        and band_answered.unit_id = current_case.unit_id
        and band_answered.metric_code = current_case.metric_code
        and band_answered.week_start = current_case.week_start
    inner join cases as past_case
        on past_case.scope_level = current_case.scope_level
        and past_case.metric_code = current_case.metric_code
        and past_case.week_start < current_case.week_start
    where band_answered.unit_id is null

),

nearest as (

    select
        similar_pairs.*,
        row_number() over (
            partition by
                similar_pairs.scope_level,
                similar_pairs.unit_id,
                similar_pairs.metric_code,
                similar_pairs.week_start
            order by
                similar_pairs.similarity_distance,
                similar_pairs.similar_week_start desc,
                similar_pairs.similar_unit_id
        ) as similarity_rank
    from similar_pairs

),

similar_ranked as (

    select
        nearest.scope_level,
        nearest.unit_id,
        nearest.metric_code,
        nearest.week_start,
        nearest.similarity_rank,
        nearest.similarity_distance,
        past_case.unit_id as similar_unit_id,
        past_case.team_id as similar_team_id,
        past_case.region_id as similar_region_id,
        past_case.week_start as similar_week_start,
        past_case.metric_value as similar_metric_value,
        past_case.z_score as similar_z_score,
        past_case.sop_card_count as similar_sop_card_count,
        past_case.sop_card_ids as similar_sop_card_ids,
        past_case.sop_card_titles as similar_sop_card_titles,
        past_case.recovered as similar_recovered,
        past_case.recovery_week_start as similar_recovery_week_start
    from nearest
    inner join cases as past_case
        on past_case.scope_level = nearest.scope_level
        and past_case.metric_code = nearest.metric_code
        and past_case.unit_id = nearest.similar_unit_id
        and past_case.week_start = nearest.similar_week_start
    where nearest.similarity_rank = 1

),

final as (

    select
        as_of.as_of,
        cases.*,
        similar_ranked.similar_unit_id,
        similar_ranked.similar_team_id,
        similar_ranked.similar_region_id,
        similar_ranked.similar_week_start,
        similar_ranked.similar_metric_value,
        similar_ranked.similar_z_score,
        similar_ranked.similarity_distance,
        similar_ranked.similar_sop_card_count,
        similar_ranked.similar_sop_card_ids,
        similar_ranked.similar_sop_card_titles,
        similar_ranked.similar_recovered,
        similar_ranked.similar_recovery_week_start
    from cases
    cross join as_of
    left join similar_ranked
        on similar_ranked.scope_level = cases.scope_level
        and similar_ranked.unit_id = cases.unit_id
        and similar_ranked.metric_code = cases.metric_code
        and similar_ranked.week_start = cases.week_start
        and similar_ranked.similarity_rank = 1
    where {{ mart_is_available('fct_process_health_flags') }}

)

select
    cast(as_of as date) as as_of,
    -- ids
    cast(scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(final.team_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.team_id') }} as unit_name,
    cast(case when final.scope_level = 'rep' then final.unit_id end as {{ dbt.type_string() }}) as rep_id,
    cast(region_id as {{ dbt.type_string() }}) as region_id,
    cast(metric_code as {{ dbt.type_string() }}) as metric_code,
    -- dates
    cast(week_start as date) as week_start,
    -- the flag
    cast(metric_value as {{ type_double() }}) as metric_value,
    cast(peer_count as {{ dbt.type_bigint() }}) as peer_count,
    cast(peer_median as {{ type_double() }}) as peer_median,
    cast(z_score as {{ type_double() }}) as z_score,
    cast(flag_direction as {{ dbt.type_string() }}) as flag_direction,
    cast(recovered as boolean) as recovered,
    cast(recovery_week_start as date) as recovery_week_start,
    cast(sop_card_count as {{ dbt.type_bigint() }}) as sop_card_count,
    cast(sop_card_ids as {{ dbt.type_string() }}) as sop_card_ids,
    cast(sop_card_titles as {{ dbt.type_string() }}) as sop_card_titles,
    -- the most similar past case
    cast(final.similar_team_id as {{ dbt.type_string() }}) as similar_unit_id,
    cast(
        case when final.scope_level = 'rep' then final.similar_unit_id end as {{ dbt.type_string() }}
    ) as similar_rep_id,
    cast(similar_region_id as {{ dbt.type_string() }}) as similar_region_id,
    cast(similar_week_start as date) as similar_week_start,
    cast(similar_metric_value as {{ type_double() }}) as similar_metric_value,
    cast(similar_z_score as {{ type_double() }}) as similar_z_score,
    cast(similarity_distance as {{ type_double() }}) as similarity_distance,
    cast(similar_sop_card_count as {{ dbt.type_bigint() }}) as similar_sop_card_count,
    cast(similar_sop_card_ids as {{ dbt.type_string() }}) as similar_sop_card_ids,
    cast(similar_sop_card_titles as {{ dbt.type_string() }}) as similar_sop_card_titles,
    cast(similar_recovered as boolean) as similar_recovered,
    cast(similar_recovery_week_start as date) as similar_recovery_week_start
from final
