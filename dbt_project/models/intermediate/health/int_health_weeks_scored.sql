-- Robust peer z-scores of every rep-week and team-week (SPEC §5: beyond ±2σ of its peers,
-- same region, same week). Each metric is scored on its own scale (seed health_metrics
-- `z_scale`): `sqrt` for durations (right-skewed, long natural tail), `log` = ln(1 + x) for
-- ratios of yuan (multiplicative), `linear` for counts per deal and shares. A metric measured
-- over items (leads, deals, visits, entries) is scored as the mean of its items on that scale,
-- so one stranded lead among four weighs less than on hours. On that scale, y:
--   c = median of the k OTHER rows of the region-week (leave-one-out: a row is never its own
--       peer; a median, so one extreme peer cannot drag the centre the others are judged by);
--   r = y − c, the row's residual from its peers;
--   σ = trimmed spread of the residuals of the region's rows of the same process regime over
--       the trailing `sigma_window_weeks` (scored week included): the root mean square of the
--       smallest (1 − `sigma_trim_share`) of the |r|, times `trimmed_sigma_factor` so that it
--       equals σ for normal data; the largest residuals (outliers, a long natural tail) do
--       not widen it, so no row needs to be left out of its own σ. A trimmed σ, not the MAD:
--       on quantised values (shares of 5 visit nodes, most reps at 100%) more than half the
--       residuals are often exactly 0 and the MAD collapses;
--   s = the sampling error of a mean of n items (`sampling_error` = items): √(v ÷ n), v = the
--       variance of single items within the peers' rows (pooled); for yes/no items this is the
--       binomial p(1 − p) — a rate on 2 visits is not comparable to one on 40;
--   z = r ÷ max(σ, s).
-- Flag: |z| ≥ z_threshold with at least min_peer_sample peers and min_sigma_observations.
with

settings as (

    select * from {{ ref('health_thresholds') }}

),

metrics as (

    select * from {{ ref('health_metrics') }}

),

measured as (

    select
        measured.scope_level,
        measured.unit_id,
        measured.team_id,
        measured.region_id,
        measured.metric_code,
        measured.process_regime,
        measured.week_start,
        measured.numerator,
        measured.denominator,
        measured.metric_value,
        metrics.z_scale,
        metrics.sampling_error,
        -- the items' Σ y and Σ y² on the metric's scale (empty for a ratio of yuan)
        case metrics.z_scale
            when 'log' then measured.log_sum
            when 'sqrt' then measured.sqrt_sum
            when 'linear' then case when measured.square_sum is not null then measured.numerator end
        end as item_sum,
        case metrics.z_scale
            when 'log' then measured.log_square_sum
            when 'sqrt' then case when measured.sqrt_sum is not null then measured.numerator end
            when 'linear' then measured.square_sum
        end as item_square_sum
    from {{ ref('int_health_weeks_measured') }} as measured
    inner join metrics
        on metrics.metric_code = measured.metric_code

),

scaled as (

    select
        measured.*,
        case
            when measured.item_sum is not null then measured.item_sum / measured.denominator
            when measured.z_scale = 'log' and measured.metric_value > -1
                then ln(1 + measured.metric_value)
            when measured.z_scale = 'sqrt' and measured.metric_value >= 0
                then sqrt(measured.metric_value)
            when measured.z_scale = 'linear' then measured.metric_value
        end as scaled_value,
        -- Σ (y − ȳ)² over the row's own items, and its degrees of freedom
        case
            when measured.item_sum is not null
                then round(
                    measured.item_square_sum
                    - measured.item_sum * measured.item_sum / measured.denominator,
                    9
                )
        end as item_squares,
        case when measured.item_sum is not null then measured.denominator - 1 end
            as item_freedom
    from measured

),

peers as (

    select
        scored.scope_level,
        scored.unit_id,
        scored.metric_code,
        scored.week_start,
        count(*) as peer_count,
        percentile_cont(0.5) within group (order by peer.scaled_value) as peer_centre,
        sum(peer.item_squares) as peer_item_squares,
        sum(peer.item_freedom) as peer_item_freedom
    from scaled as scored
    inner join scaled as peer
        on peer.scope_level = scored.scope_level
        and peer.metric_code = scored.metric_code
        and peer.region_id = scored.region_id
        and peer.week_start = scored.week_start
        and peer.unit_id <> scored.unit_id
    where peer.scaled_value is not null
    group by scored.scope_level, scored.unit_id, scored.metric_code, scored.week_start

),

residuals as (

    select
        scaled.*,
        coalesce(peers.peer_count, 0) as peer_count,
        peers.peer_centre,
        peers.peer_item_squares,
        peers.peer_item_freedom,
        -- rounded: quantised values (0.8 − 0.8 computed two ways) must give exactly 0
        round(scaled.scaled_value - peers.peer_centre, 9) as residual
    from scaled
    left join peers
        on peers.scope_level = scaled.scope_level
        and peers.unit_id = scaled.unit_id
        and peers.metric_code = scaled.metric_code
        and peers.week_start = scaled.week_start

),

-- every scored week with the residuals of its trailing window, ranked by size
spread_pairs as (

    select
        scored_weeks.scope_level,
        scored_weeks.metric_code,
        scored_weeks.region_id,
        scored_weeks.process_regime,
        scored_weeks.week_start,
        pooled.residual * pooled.residual as squared_residual,
        row_number() over (
            partition by
                scored_weeks.scope_level,
                scored_weeks.metric_code,
                scored_weeks.region_id,
                scored_weeks.process_regime,
                scored_weeks.week_start
            order by abs(pooled.residual), pooled.unit_id, pooled.week_start
        ) as residual_rank,
        count(*) over (
            partition by
                scored_weeks.scope_level,
                scored_weeks.metric_code,
                scored_weeks.region_id,
                scored_weeks.process_regime,
                scored_weeks.week_start
        ) as sigma_observations
    from (
        select distinct scope_level, metric_code, region_id, process_regime, week_start
        from residuals
    ) as scored_weeks
    cross join settings
    inner join residuals as pooled
        on pooled.scope_level = scored_weeks.scope_level
        and pooled.metric_code = scored_weeks.metric_code
        and pooled.region_id = scored_weeks.region_id
        and pooled.process_regime = scored_weeks.process_regime
        and pooled.week_start <= scored_weeks.week_start
        and pooled.week_start > {{ dbt.dateadd(
            'day', '(-7 * settings.sigma_window_weeks)', 'scored_weeks.week_start'
        ) }}
    where pooled.residual is not null

),

-- trimmed σ: root mean square of the smallest (1 − sigma_trim_share) of the |residuals|
spread_windows as (

    select
        spread_pairs.scope_level,
        spread_pairs.metric_code,
        spread_pairs.region_id,
        spread_pairs.process_regime,
        spread_pairs.week_start,
        max(spread_pairs.sigma_observations) as sigma_observations,
        max(settings.trimmed_sigma_factor) * sqrt(
            sum(spread_pairs.squared_residual) / count(*)
        ) as trimmed_sigma
    from spread_pairs
    cross join settings
    where spread_pairs.residual_rank
        <= spread_pairs.sigma_observations * (1 - settings.sigma_trim_share)
    group by 1, 2, 3, 4, 5

),

spread as (

    select
        residuals.*,
        coalesce(spread_windows.sigma_observations, 0) as sigma_observations,
        case
            when spread_windows.sigma_observations >= settings.min_sigma_observations
                then spread_windows.trimmed_sigma
        end as peer_sigma,
        -- the variance of one item within the peers' rows
        case
            when residuals.sampling_error = 'items' and residuals.peer_item_freedom > 0
                and residuals.peer_item_squares > 0
                then residuals.peer_item_squares / residuals.peer_item_freedom
        end as item_variance
    from residuals
    cross join settings
    left join spread_windows
        on spread_windows.scope_level = residuals.scope_level
        and spread_windows.metric_code = residuals.metric_code
        and spread_windows.region_id = residuals.region_id
        and spread_windows.process_regime = residuals.process_regime
        and spread_windows.week_start = residuals.week_start

),

sampling as (

    select
        spread.*,
        sqrt(item_variance / denominator) as sampling_sigma
    from spread

),

z_scores as (

    select
        sampling.*,
        case
            -- too few pooled residuals: no z
            when sampling.peer_sigma is null then null
            when sampling.sampling_sigma > sampling.peer_sigma
                then sampling.residual / sampling.sampling_sigma
            when sampling.peer_sigma > 0 then sampling.residual / sampling.peer_sigma
        end as z_score
    from sampling

),

final as (

    select
        z_scores.*,
        coalesce(
            z_scores.peer_count >= settings.min_peer_sample
            and abs(z_scores.z_score) >= settings.z_threshold,
            false
        ) as is_flagged
    from z_scores
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
    cast(z_scale as {{ dbt.type_string() }}) as z_scale,
    -- dates
    week_start,
    -- amounts
    numerator,
    denominator,
    metric_value,
    -- peers (the centre back on the metric's own scale; spreads on the z scale)
    cast(peer_count as {{ dbt.type_bigint() }}) as peer_count,
    cast(
        case z_scale
            when 'log' then exp(peer_centre) - 1
            when 'sqrt' then peer_centre * peer_centre
            else peer_centre
        end
        as {{ type_double() }}
    ) as peer_median,
    cast(peer_sigma as {{ type_double() }}) as peer_sigma,
    cast(sampling_sigma as {{ type_double() }}) as sampling_sigma,
    cast(sigma_observations as {{ dbt.type_bigint() }}) as sigma_observations,
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
