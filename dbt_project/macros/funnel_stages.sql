{#- The canonical funnel (SPEC §4; salesops/contract.py STAGES): stage, order, Chinese
    label. `won` is ordered after contract_approval, so "furthest stage ≥ S" reads as
    "reached S"; `lost` has no order (it says nothing about how far a deal got). -#}
{% macro funnel_stages() -%}
    {{ return([
        {'stage': 'lead', 'stage_order': 1, 'label_zh': '线索'},
        {'stage': 'qualified', 'stage_order': 2, 'label_zh': '需求确认'},
        {'stage': 'quote', 'stage_order': 3, 'label_zh': '方案报价'},
        {'stage': 'negotiation', 'stage_order': 4, 'label_zh': '商务谈判'},
        {'stage': 'contract_approval', 'stage_order': 5, 'label_zh': '合同审批'},
        {'stage': 'won', 'stage_order': 6, 'label_zh': '赢单'},
    ]) }}
{%- endmacro %}

{% macro open_funnel_stages() -%}
    {{ return(funnel_stages()[:5]) }}
{%- endmacro %}

{#- A CASE expression giving a stage column its funnel order (null for lost/unknown). -#}
{% macro stage_order(column) -%}
    case {{ column }}
        {%- for s in funnel_stages() %}
        when '{{ s.stage }}' then {{ s.stage_order }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The open stages as rows (stage, stage_order, label_zh), for cross joins. -#}
{% macro open_funnel_stages_relation() -%}
    (
        {%- for s in open_funnel_stages() %}
        select
            cast('{{ s.stage }}' as {{ dbt.type_string() }}) as stage,
            cast({{ s.stage_order }} as {{ dbt.type_bigint() }}) as stage_order,
            cast('{{ s.label_zh }}' as {{ dbt.type_string() }}) as stage_label_zh
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#- Whether an opportunity (a row with furthest_stage_order, furthest_open_stage_order,
    latest_stage, status_as_of) counts at a stage (a row with stage, stage_order), one rule
    per measure of the funnel marts: `reached` (at the stage or beyond; a skipped stage
    counts), `advanced` (reached the next one; won after contract approval), `open` (open and
    now in the stage), `lost` (lost with this as its furthest open stage). Both
    fct_funnel_stages (counts) and fct_funnel_stage_amounts (amounts) sum over these. -#}
{% macro funnel_position_rule(measure, opportunity='opportunities_by_unit', stage='stages') -%}
    {%- if measure == 'reached' -%}
        {{ opportunity }}.furthest_stage_order >= {{ stage }}.stage_order
    {%- elif measure == 'advanced' -%}
        {{ opportunity }}.furthest_stage_order >= {{ stage }}.stage_order + 1
    {%- elif measure == 'open' -%}
        {{ opportunity }}.status_as_of = 'open' and {{ opportunity }}.latest_stage = {{ stage }}.stage
    {%- elif measure == 'lost' -%}
        {{ opportunity }}.status_as_of = 'lost'
            and {{ opportunity }}.furthest_open_stage_order = {{ stage }}.stage_order
    {%- else -%}
        {{ exceptions.raise_compiler_error("funnel_position_rule: unknown measure " ~ measure) }}
    {%- endif -%}
{%- endmacro %}
