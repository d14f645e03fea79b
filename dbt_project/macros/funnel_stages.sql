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
