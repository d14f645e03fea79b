"""Chat signals 沟通信号: dictionary keywords (negation-aware) and token counts from bronze chat.

The keyword dictionary and the stop-word list are dbt seeds (``dbt_project/seeds/``): this
package reads the same files, so the tokenizer and the warehouse never disagree on a word.
"""
