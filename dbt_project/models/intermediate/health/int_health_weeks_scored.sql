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

-- The leave-one-out median without pairing every row with its peers (quadratic in the
-- region's size): the n valued rows of a region-week sorted once; leaving out the row at rank
-- i shifts the middle of the other n − 1 by at most one place, so the centre is read from the
-- values at ranks q, q + 1 and q + 2 (q = ⌊n ÷ 2⌋). A row without a value has all n as peers.
ranked as (

    select
        scaled.*,
        count(scaled.scaled_value) over (
            partition by scaled.scope_level, scaled.metric_code, scaled.region_id, scaled.week_start
        ) as valued_count,
        row_number() over (
            partition by scaled.scope_level, scaled.metric_code, scaled.region_id, scaled.week_start
            order by case when scaled.scaled_value is null then 1 else 0 end, scaled.scaled_value
        ) as value_rank
    from scaled

),

middles as (

    select
        scope_level,
        metric_code,
        region_id,
        week_start,
        max(middle_rank) as middle_rank,
        max(case when value_rank = middle_rank then scaled_value end) as middle_value,
        max(case when value_rank = middle_rank + 1 then scaled_value end) as next_value,
        max(case when value_rank = middle_rank + 2 then scaled_value end) as second_next_value,
        percentile_cont(0.5) within group (order by scaled_value) as all_median,
        sum(case when scaled_value is not null then item_squares end) as valued_item_squares,
        sum(case when scaled_value is not null then item_freedom end) as valued_item_freedom
    from (
        select
            ranked.*,
            cast(floor(ranked.valued_count / 2) as {{ dbt.type_bigint() }}) as middle_rank
        from ranked
    ) as with_middle
    group by scope_level, metric_code, region_id, week_start

),

peers as (

    select
        ranked.*,
        case when ranked.scaled_value is null then 0 else 1 end as is_valued,
        -- the lower and upper middle of the other rows, once the row at value_rank is left out
        case
            when middles.middle_rank < ranked.value_rank then middles.middle_value
            else middles.next_value
        end as lower_middle,
        case
            when middles.middle_rank + 1 < ranked.value_rank then middles.next_value
            else middles.second_next_value
        end as upper_middle,
        middles.all_median,
        middles.valued_item_squares,
        middles.valued_item_freedom
    from ranked
    inner join middles
        on middles.scope_level = ranked.scope_level
        and middles.metric_code = ranked.metric_code
        and middles.region_id = ranked.region_id
        and middles.week_start = ranked.week_start

),

centred as (

    select
        peers.*,
        peers.valued_count - peers.is_valued as peer_count,
        case
            when peers.is_valued = 0 then peers.all_median
            when peers.valued_count < 2 then null
            -- n even: the other n − 1 have one middle value
            when mod(peers.valued_count, 2) = 0 then peers.lower_middle
            -- n odd: the mean of the two middle values, interpolated as percentile_cont does
            else peers.lower_middle + (peers.upper_middle - peers.lower_middle) * 0.5
        end as peer_centre,
        case
            when peers.valued_count > peers.is_valued
                then round(
                    peers.valued_item_squares - peers.is_valued * coalesce(peers.item_squares, 0),
                    9
                )
        end as peer_item_squares,
        case
            when peers.valued_count > peers.is_valued
                then peers.valued_item_freedom
                - peers.is_valued * coalesce(peers.item_freedom, 0)
        end as peer_item_freedom
    from peers

),

residuals as (

    select
        centred.*,
        -- rounded: quantised values (0.8 − 0.8 computed two ways) must give exactly 0
        round(centred.scaled_value - centred.peer_centre, 9) as residual
    from centred

),

-- every scored week (region × regime × week), numbered: the windows below are partitioned
-- by one integer, not five columns
scored_weeks as (

    select
        week_keys.*,
        row_number() over (
            order by
                week_keys.scope_level,
                week_keys.metric_code,
                week_keys.region_id,
                week_keys.process_regime,
                week_keys.week_start
        ) as window_id
    from (
        select distinct scope_level, metric_code, region_id, process_regime, week_start
        from residuals
    ) as week_keys

),

-- every scored week with the residuals of its trailing window
spread_pairs as (

    select
        scored_weeks.window_id,
        abs(pooled.residual) as absolute_residual
    from scored_weeks
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

-- ranked by size (residuals of equal size have equal squares: their order does not matter)
spread_ranked as (

    select
        window_id,
        absolute_residual,
        row_number() over (partition by window_id order by absolute_residual) as residual_rank,
        count(*) over (partition by window_id) as sigma_observations
    from spread_pairs

),

-- trimmed σ: root mean square of the smallest (1 − sigma_trim_share) of the |residuals|
spread_windows as (

    select
        scored_weeks.scope_level,
        scored_weeks.metric_code,
        scored_weeks.region_id,
        scored_weeks.process_regime,
        scored_weeks.week_start,
        trimmed.sigma_observations,
        trimmed.trimmed_sigma
    from (
        select
            spread_ranked.window_id,
            max(spread_ranked.sigma_observations) as sigma_observations,
            max(settings.trimmed_sigma_factor) * sqrt(
                sum(spread_ranked.absolute_residual * spread_ranked.absolute_residual)
                / count(*)
            ) as trimmed_sigma
        from spread_ranked
        cross join settings
        where spread_ranked.residual_rank
            <= spread_ranked.sigma_observations * (1 - settings.sigma_trim_share)
        group by spread_ranked.window_id
    ) as trimmed
    inner join scored_weeks
        on scored_weeks.window_id = trimmed.window_id

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
