/** The project paths of the OpenAPI document (./openapi.ts): `/api/projects` and every operation on one project. */
import { ListQuerySchema } from '../../../shared/src/schemas.js';
import {
  AUTH,
  BODY,
  body,
  DRY_RUN,
  errors,
  idParam,
  json,
  links,
  PROJECT_OPS,
  projectBody,
  projectOp,
  reportBody,
  secured,
  withJobLinks,
} from './operations.js';
import { projectSchema, queryParams, type ApiVocabulary, type Json } from './requests.js';
import { ref } from './schemas.js';

export const projectPaths = (v: ApiVocabulary): Json => ({
  '/api/projects': {
    post: {
      ...secured,
      operationId: 'createProject',
      summary: 'Create a project',
      requestBody: body(projectSchema(v)),
      responses: {
        201: {
          ...json(
            {
              ...projectBody,
              properties: {
                ...projectBody.properties,
                warnings: {
                  type: 'array',
                  items: { type: 'string' },
                  description:
                    'present when an artifact key was listed more than once: one artifact per key, its last uri',
                },
              },
            },
            'created',
          ),
          links: links('Project', PROJECT_OPS),
        },
        ...errors(...AUTH, ...BODY, 429),
      },
    },
    get: {
      ...secured,
      operationId: 'listProjects',
      summary: 'Own projects, paged, newest first, each with its readiness (artifacts present of declared)',
      parameters: queryParams(ListQuerySchema),
      responses: {
        200: json({
          type: 'object',
          properties: {
            projects: {
              type: 'array',
              items: {
                allOf: [
                  ref('Project'),
                  {
                    type: 'object',
                    properties: {
                      artifactCount: { type: 'integer', description: 'artifacts declared' },
                      presentCount: { type: 'integer', description: 'artifacts recorded present' },
                    },
                  },
                ],
              },
            },
            nextCursor: { type: ['string', 'null'] },
          },
        }),
        ...errors(...AUTH, 400),
      },
    },
  },
  '/api/projects/{id}': {
    get: projectOp('get', {
      summary: 'Read a project (verified first when generating or claiming artifacts)',
      responses: { 200: json(projectBody), ...errors(...AUTH, 404) },
    }),
  },
  '/api/projects/{id}/reconcile': {
    post: projectOp('reconcile', {
      summary: 'Verify every artifact (dryRun=true: what it would correct, per artifact, nothing written)',
      parameters: [idParam('project'), DRY_RUN],
      responses: {
        200: reportBody({
          projectId: { type: 'string' },
          claimedArtifacts: { type: 'integer' },
          verifiedArtifacts: { type: 'integer' },
          missingArtifacts: { type: 'array', items: { type: 'string' } },
          changes: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                key: { type: 'string' },
                uri: { type: 'string' },
                was: { enum: ['present', 'missing'] },
                now: { enum: ['present', 'missing'] },
              },
            },
          },
        }),
        ...errors(...AUTH, 400, 404, 429),
      },
    }),
  },
  '/api/projects/{id}/generate': {
    post: projectOp('generate', {
      summary: 'One job for the missing artifacts',
      responses: {
        202: withJobLinks(
          json(
            {
              type: 'object',
              required: ['project', 'job'],
              properties: { project: ref('Project'), job: ref('Job') },
            },
            'a job was enqueued',
          ),
        ),
        200: json(projectBody, 'nothing is missing'),
        ...errors(...AUTH, 404, 409, 429, 503),
      },
    }),
  },
});
