"""The knowledge base the agent retrieves from (roadmap step 5), as text: articles written for
Vaultra (`agent_service/knowledge/*.md`) with front matter that says what each is about and where
its facts come from, and the chunks they are indexed as. Pure: reading the files and the index are
`vaultra.services.knowledge`'s."""
