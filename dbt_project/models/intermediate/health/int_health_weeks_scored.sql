-- Peer z-scores of every rep-week and team-week (SPEC §5: same region, same week).
--   m = mean of the k OTHER rows of the region-week (leave-one-out: with itself included, one
--       outlier among five peers could never pass 2σ);
--   σ = pooled spread of the region's rows of the same process regime over the trailing
--       `sigma_window_weeks` (the scored row's own deviation left out): the root mean square of
--       the standardised deviations (x − m)·√(k/(k+1)), stable where one week has 5–10 values;
--   z = (x − m) ÷ (σ·√(1 + 1/k)), the deviation over its own standard error.
-- Two passes: rows at |z| ≥ peer_exclusion_z in the first are left out of their peers' mean
-- and of σ in the second, so one gross outlier neither hides itself nor drags its peers.
-- Flag: |z| ≥ z_threshold with at least min_peer_sample peers and min_sigma_observations.
with

settings as (

    select * from {{ ref('health_thresholds') }}

),

rows_1 as (

    select
        measured.*,
        true as in_peers
    from {{ ref('int_health_weeks_measured') }} as measured

),

{%- for pass in [1, 2] %}

peer_totals_{{ pass }} as (

    select
        scope_level,
        metric_code,
        region_id,
        week_start,
        sum(case when in_peers then 1 else 0 end) as peer_rows,
        sum(case when in_peers then metric_value else 0 end) as peer_sum
    from rows_{{ pass }}
    group by scope_level, metric_code, region_id, week_start

),

deviations_{{ pass }} as (

    select
        rows_{{ pass }}.*,
        peer_totals_{{ pass }}.peer_rows - case when rows_{{ pass }}.in_peers then 1 else 0 end
            as peer_count,
        (
            peer_totals_{{ pass }}.peer_sum
            - case when rows_{{ pass }}.in_peers then rows_{{ pass }}.metric_value else 0 end
        ) / nullif(
            peer_totals_{{ pass }}.peer_rows
            - case when rows_{{ pass }}.in_peers then 1 else 0 end,
            0
        ) as peer_mean
    from rows_{{ pass }}
    inner join peer_totals_{{ pass }}
        on peer_totals_{{ pass }}.scope_level = rows_{{ pass }}.scope_level
        and peer_totals_{{ pass }}.metric_code = rows_{{ pass }}.metric_code
        and peer_totals_{{ pass }}.region_id = rows_{{ pass }}.region_id
        and peer_totals_{{ pass }}.week_start = rows_{{ pass }}.week_start

),

pooled_weeks_{{ pass }} as (

    select
        scope_level,
        metric_code,
        region_id,
        process_regime,
        week_start,
        sum(
            (metric_value - peer_mean) * (metric_value - peer_mean) * peer_count / (peer_count + 1.0)
        ) as squares_sum,
        count(*) as squares_count
    from deviations_{{ pass }}
    where in_peers
        and peer_count >= 1
    group by scope_level, metric_code, region_id, process_regime, week_start

),

pooled_windows_{{ pass }} as (

    select
        scored_weeks.scope_level,
        scored_weeks.metric_code,
        scored_weeks.region_id,
        scored_weeks.process_regime,
        scored_weeks.week_start,
        sum(pooled.squares_sum) as squares_sum,
        sum(pooled.squares_count) as squares_count
    from (
        select distinct scope_level, metric_code, region_id, process_regime, week_start
        from deviations_{{ pass }}
    ) as scored_weeks
    cross join settings
    inner join pooled_weeks_{{ pass }} as pooled
        on pooled.scope_level = scored_weeks.scope_level
        and pooled.metric_code = scored_weeks.metric_code
        and pooled.region_id = scored_weeks.region_id
        and pooled.process_regime = scored_weeks.process_regime
        and pooled.week_start <= scored_weeks.week_start
        and pooled.week_start > {{ dbt.dateadd(
            'day', '-7 * settings.sigma_window_weeks', 'scored_weeks.week_start'
        ) }}
    group by 1, 2, 3, 4, 5

),

sigma_{{ pass }} as (

    select
        deviations.*,
        -- the row's own standardised deviation is left out of its σ
        windows.squares_count - case
            when deviations.in_peers and deviations.peer_count >= 1 then 1 else 0
        end as sigma_observations,
        windows.squares_sum - case
            when deviations.in_peers and deviations.peer_count >= 1
                then (deviations.metric_value - deviations.peer_mean)
                * (deviations.metric_value - deviations.peer_mean)
                * deviations.peer_count / (deviations.peer_count + 1.0)
            else 0
        end as own_left_out_squares
    from deviations_{{ pass }} as deviations
    left join pooled_windows_{{ pass }} as windows
        on windows.scope_level = deviations.scope_level
        and windows.metric_code = deviations.metric_code
        and windows.region_id = deviations.region_id
        and windows.process_regime = deviations.process_regime
        and windows.week_start = deviations.week_start

),

scored_{{ pass }} as (

    select
        sigma.*,
        case
            when sigma.sigma_observations >= settings.min_sigma_observations
                and sigma.own_left_out_squares > 0
                then sqrt(sigma.own_left_out_squares / sigma.sigma_observations)
        end as peer_sigma
    from sigma_{{ pass }} as sigma
    cross join settings

),

z_scores_{{ pass }} as (

    select
        scored.*,
        (scored.metric_value - scored.peer_mean)
        / (scored.peer_sigma * sqrt(1.0 + 1.0 / nullif(scored.peer_count, 0))) as z_score
    from scored_{{ pass }} as scored

),

{%- if pass == 1 %}

rows_2 as (

    select
        scope_level,
        unit_id,
        team_id,
        region_id,
        metric_code,
        process_regime,
        week_start,
        numerator,
        denominator,
        metric_value,
        not coalesce(abs(z_score) >= settings.peer_exclusion_z, false) as in_peers
    from z_scores_1
    cross join settings

),
{%- endif %}
{%- endfor %}

final as (

    select
        z_scores_2.*,
        coalesce(
            z_scores_2.peer_count >= settings.min_peer_sample
            and abs(z_scores_2.z_score) >= settings.z_threshold,
            false
        ) as is_flagged
    from z_scores_2
    cross join settings

)

select
    -- ids
    scope_level,
    unit_id,
    team_id,
    region_id,
    metric_code,
    -- attributes
    process_regime,
    -- dates
    week_start,
    -- amounts
    numerator,
    denominator,
    metric_value,
    -- peers
    cast(peer_count as {{ dbt.type_bigint() }}) as peer_count,
    cast(peer_mean as {{ type_double() }}) as peer_mean,
    cast(peer_sigma as {{ type_double() }}) as peer_sigma,
    cast(sigma_observations as {{ dbt.type_bigint() }}) as sigma_observations,
    not in_peers as is_excluded_from_peers,
    cast(z_score as {{ type_double() }}) as z_score,
    -- flags
    is_flagged,
    cast(
        case
            when not is_flagged then null
            when z_score > 0 then 'high'
            else 'low'
        end as {{ dbt.type_string() }}
    ) as flag_direction
from final
